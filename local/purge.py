"""Cache purges: the local Varnish edge and Cloudflare's purge API, one interface.

`VarnishPurger` sends PURGE (one URL), BAN (a URL prefix as an anchored regex on the path)
and XKEY (tags, from the origin's `Cache-Tag`) with the stack's purge token.
`CloudflarePurger` purges `files`, `prefixes` or `tags` through the official Cloudflare SDK
(`cache.purge`) in batches of at most `batch_size` (30, the API's per-request limit), at most
one batch per `min_interval_seconds`; the SDK retries 429/5xx and connection errors with
exponential backoff, honouring `Retry-After`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlsplit

import cloudflare
import httpx

CLOUDFLARE_API = "https://api.cloudflare.com/client/v4"


class PurgeError(RuntimeError):
    """A purge request was refused or kept failing (names what and the last answer)."""


@dataclass
class PurgeReport:
    """What one purge command did."""

    kind: str
    items: list[str]
    requests: int = 0
    purged: int | None = None
    """Objects removed when the edge says (Varnish xkey); None when it does not."""
    details: list[str] = field(default_factory=list)


class Purger(Protocol):
    def purge_urls(self, urls: Sequence[str]) -> PurgeReport: ...

    def purge_prefixes(self, prefixes: Sequence[str]) -> PurgeReport: ...

    def purge_tags(self, tags: Sequence[str]) -> PurgeReport: ...


def batches(items: Sequence[str], size: int) -> Iterable[list[str]]:
    """`items` in consecutive lists of at most `size`."""
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


class VarnishPurger:
    """Purges on the local Varnish edge at `edge_url` (allowed: 127.0.0.1 + the token)."""

    def __init__(self, edge_url: str, token: str, client: httpx.Client | None = None) -> None:
        self.edge_url = edge_url.rstrip("/")
        self.token = token
        self.client = client or httpx.Client(timeout=10)

    def _send(self, method: str, path: str, headers: dict[str, str]) -> httpx.Response:
        response = self.client.request(
            method, f"{self.edge_url}{path}", headers={"X-Purge-Token": self.token, **headers}
        )
        if response.status_code != 200:
            raise PurgeError(f"{method} {path}: HTTP {response.status_code} from the edge")
        return response

    def purge_urls(self, urls: Sequence[str]) -> PurgeReport:
        report = PurgeReport("url", list(urls))
        for url in urls:
            parts = urlsplit(url)
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            headers = {"Host": parts.netloc} if parts.netloc else {}
            self._send("PURGE", path or "/", headers)
            report.requests += 1
        return report

    def purge_prefixes(self, prefixes: Sequence[str]) -> PurgeReport:
        report = PurgeReport("prefix", list(prefixes))
        for prefix in prefixes:
            path = urlsplit(prefix).path if "://" in prefix else prefix
            self._send("BAN", "/", {"X-Ban-Pattern": "^" + re.escape(path)})
            report.requests += 1
        return report

    def purge_tags(self, tags: Sequence[str]) -> PurgeReport:
        report = PurgeReport("tag", list(tags), purged=0)
        for batch in batches(tags, 30):
            response = self._send("XKEY", "/", {"X-Cache-Tags": " ".join(batch)})
            report.requests += 1
            report.purged = (report.purged or 0) + int(response.headers.get("X-Purged", "0"))
        return report


class CloudflarePurger:
    """Purges through Cloudflare's API for one zone, batched, rate-limited and retried."""

    def __init__(
        self,
        zone_id: str,
        token: str,
        *,
        api_base: str = CLOUDFLARE_API,
        batch_size: int = 30,
        min_interval_seconds: float = 0.2,
        max_retries: int = 4,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not zone_id or not token:
            raise PurgeError("Cloudflare purge needs the zone id and an API token")
        self.zone_id = zone_id
        self.batch_size = batch_size
        self.min_interval_seconds = min_interval_seconds
        self.sleep = sleep
        self._last_batch = 0.0
        self._sent = 0  # HTTP requests, retries included (counted by an httpx hook)
        http = httpx.Client(timeout=30, event_hooks={"request": [self._count]})
        self.api = cloudflare.Cloudflare(
            api_token=token, base_url=api_base, max_retries=max_retries, http_client=http
        )

    def _count(self, _request: httpx.Request) -> None:
        self._sent += 1

    def _throttle(self) -> None:
        wait = self._last_batch + self.min_interval_seconds - time.monotonic()
        if wait > 0:
            self.sleep(wait)
        self._last_batch = time.monotonic()

    def _purge(self, kind: str, field_name: str, items: Sequence[str]) -> PurgeReport:
        report = PurgeReport(kind, list(items))
        sent_before = self._sent
        for batch in batches(items, self.batch_size):
            self._throttle()
            try:
                self.api.cache.purge(zone_id=self.zone_id, **{field_name: batch})
            except cloudflare.APIStatusError as exc:
                raise PurgeError(
                    f"Cloudflare purge {field_name} failed: HTTP {exc.status_code}: "
                    f"{str(exc)[:200]}"
                ) from None
            except cloudflare.APIConnectionError as exc:
                raise PurgeError(f"Cloudflare purge {field_name} failed: {exc}") from None
        report.requests = self._sent - sent_before
        return report

    def purge_urls(self, urls: Sequence[str]) -> PurgeReport:
        return self._purge("url", "files", urls)

    def purge_prefixes(self, prefixes: Sequence[str]) -> PurgeReport:
        return self._purge("prefix", "prefixes", prefixes)

    def purge_tags(self, tags: Sequence[str]) -> PurgeReport:
        return self._purge("tag", "tags", tags)
