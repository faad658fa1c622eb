"""Cache warming: fetch the most-requested paths through the edge, measure before and after.

The ranking comes from the local edge's access log (`varnishncsa -d` over Varnish's shared
memory log: the recent client GETs), from Cloudflare's analytics in the cloud (the GraphQL
API's top request paths of the zone over the last hours), or from a trending list (one path
per line). `off_peak` tells whether now is inside the settings' off-peak window, for the
scheduled run (`cache warm --off-peak-only`).
"""

from __future__ import annotations

import subprocess
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx

from stacks.settings import ScheduleSettings


class AccessLogError(RuntimeError):
    """varnishncsa failed (names the command and its last stderr line)."""


@dataclass
class WarmReport:
    """Hit ratio of the top paths before warming (first fetch) and after (second fetch)."""

    paths: list[str]
    before: dict[str, str] = field(default_factory=dict)
    after: dict[str, str] = field(default_factory=dict)

    @staticmethod
    def _ratio(results: dict[str, str]) -> float:
        return 100.0 * sum(v == "HIT" for v in results.values()) / len(results) if results else 0.0

    @property
    def hit_ratio_before(self) -> float:
        return self._ratio(self.before)

    @property
    def hit_ratio_after(self) -> float:
        return self._ratio(self.after)


class OffPeakError(ValueError):
    """The schedules' time zone is unknown (names it)."""


@dataclass(frozen=True)
class OffPeak:
    """Whether a moment falls inside the cache-warming off-peak window, and the window."""

    inside: bool
    window: str
    """`HH:00-HH:00 tz`, e.g. `02:00-06:00 UTC` (the end hour excluded)."""
    local_time: str


def off_peak(schedules: ScheduleSettings, now: datetime) -> OffPeak:
    """`now` (naive means UTC) against `schedules.cache_warm.off_peak` in `schedules.timezone`."""
    try:
        zone = ZoneInfo(schedules.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise OffPeakError(
            f"schedules.timezone {schedules.timezone!r} is not a time zone"
        ) from None
    local = (now if now.tzinfo else now.replace(tzinfo=UTC)).astimezone(zone)
    start, end = schedules.cache_warm.off_peak
    return OffPeak(
        inside=schedules.cache_warm.in_off_peak(local.hour),
        window=f"{start:02d}:00-{end:02d}:00 {schedules.timezone}",
        local_time=local.strftime("%H:%M"),
    )


def access_log_paths(varnish_dir: Path) -> list[str]:
    """Paths of the recent client GETs in the edge's shared memory log."""
    argv = ["varnishncsa", "-n", str(varnish_dir), "-d", "-c", "-F", "%m %U%q"]
    result = subprocess.run(argv, capture_output=True, check=False)  # noqa: S603
    if result.returncode != 0:
        lines = result.stderr.decode(errors="replace").strip().splitlines() or ["(no output)"]
        raise AccessLogError(f"{' '.join(argv)}: {lines[-1]}")
    paths = []
    for line in result.stdout.decode(errors="replace").splitlines():
        method, _, path = line.partition(" ")
        if method == "GET" and path and not path.startswith("/.edge/"):
            paths.append(path)
    return paths


def top_paths(paths: Sequence[str], n: int) -> list[str]:
    """The `n` most frequent paths (ties: first seen first)."""
    return [path for path, _ in Counter(paths).most_common(n)]


def warm(edge_url: str, paths: Sequence[str], client: httpx.Client | None = None) -> WarmReport:
    """GET each path twice through the edge; record `X-Cache` of each pass."""
    client = client or httpx.Client(timeout=30)
    report = WarmReport(list(paths))
    for results in (report.before, report.after):
        for path in paths:
            response = client.get(f"{edge_url.rstrip('/')}{path}")
            status = (
                response.headers.get("X-Cache", "?")
                if response.status_code < 400
                else (f"HTTP {response.status_code}")
            )
            results[path] = status
    return report


TOP_PATHS_QUERY = """
query TopPaths($zone: String!, $since: Time!, $limit: Int!) {
  viewer {
    zones(filter: {zoneTag: $zone}) {
      httpRequestsAdaptiveGroups(
        limit: $limit
        filter: {datetime_geq: $since, requestSource: "eyeball"}
        orderBy: [count_DESC]
      ) {
        count
        dimensions { clientRequestPath }
      }
    }
  }
}
"""


def cloudflare_top_paths(
    zone_id: str,
    token: str,
    n: int,
    *,
    api_base: str = "https://api.cloudflare.com/client/v4",
    hours: int = 24,
    client: httpx.Client | None = None,
) -> list[str]:
    """The zone's `n` most-requested paths over the last `hours` (Cloudflare GraphQL)."""
    if not zone_id or not token:
        raise AccessLogError("Cloudflare analytics need the zone id and an API token")
    client = client or httpx.Client(timeout=30)
    since = (datetime.now(UTC) - timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")
    response = client.post(
        f"{api_base.rstrip('/')}/graphql",
        json={"query": TOP_PATHS_QUERY, "variables": {"zone": zone_id, "since": since, "limit": n}},
        headers={"Authorization": f"Bearer {token}"},
    )
    if response.status_code != 200:
        raise AccessLogError(f"Cloudflare analytics: HTTP {response.status_code}")
    document = response.json()
    if document.get("errors"):
        raise AccessLogError(f"Cloudflare analytics: {document['errors'][0].get('message')}")
    zones = ((document.get("data") or {}).get("viewer") or {}).get("zones") or []
    groups = zones[0].get("httpRequestsAdaptiveGroups", []) if zones else []
    return [group["dimensions"]["clientRequestPath"] for group in groups][:n]
