"""Anomaly detectors over the access-log store.

- download volume: each principal's downloads per window against their own baseline
  (median and MAD over every window of the log, zeros included: a robust z-score);
- mass deletes: a run of deletes by one principal far larger than their usual runs;
- unusual principals and IPs: seen in very few windows of a long log, or not in a
  known list;
- 403 spikes: forbidden responses per window against the log's own baseline.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from analytics.log_store import AccessLogStore

MAD_TO_SIGMA = 1.4826


@dataclass(frozen=True)
class AuditThresholds:
    """When the detectors fire."""

    window_seconds: int = 3600
    z_score: float = 3.5
    """Robust z-score above which a window is anomalous."""
    volume_factor: float = 5.0
    """...and it must also exceed this many times the principal's median window."""
    min_downloads: int = 20
    min_baseline_windows: int = 3
    """A principal needs activity in this many windows to have a baseline of their own."""
    min_deletes: int = 25
    delete_factor: float = 5.0
    unusual_max_windows: int = 1
    """A principal/IP active in at most this many windows of a log spanning..."""
    unusual_min_span_windows: int = 4
    """...at least this many windows is unusual."""
    min_forbidden: int = 10


@dataclass(frozen=True)
class Anomaly:
    """One finding: what, who, when, how much, against which baseline."""

    kind: str
    subject: str
    window_start: datetime | None
    value: float
    baseline: float
    score: float
    detail: str


def robust_z(values: np.ndarray, floor: float = 1.0) -> tuple[float, float, np.ndarray]:
    """(median, scale, z-scores): scale = 1.4826 x MAD, at least `floor` (and never 0).

    Counts per window vary at least like a Poisson count, so callers pass sqrt(median) (or
    the matching relative spread for bytes): a perfectly regular baseline (MAD 0) does not
    make every small deviation infinitely anomalous.
    """
    median = float(np.median(values))
    scale = MAD_TO_SIGMA * float(np.median(np.abs(values - median)))
    scale = max(scale, floor, 1e-9)
    return median, scale, (values - median) / scale


def _start(window: int, seconds: int) -> datetime:
    return datetime.fromtimestamp(window * seconds, tz=UTC)


def _series(counts: dict[int, float], first: int, last: int) -> np.ndarray:
    return np.array([counts.get(w, 0.0) for w in range(first, last + 1)], dtype=float)


def download_volume(store: AccessLogStore, t: AuditThresholds) -> list[Anomaly]:
    """Windows in which a principal downloaded far more than their own baseline."""
    span = store.window_range(t.window_seconds)
    if span is None:
        return []
    per: dict[str, dict[int, tuple[int, int]]] = defaultdict(dict)
    for principal, window, count, size in store.downloads_by_window(t.window_seconds):
        per[principal][window] = (count, size)
    found = []
    for principal, windows in sorted(per.items()):
        if len(windows) < t.min_baseline_windows:
            continue
        first, last = span
        counts = _series({w: v[0] for w, v in windows.items()}, first, last)
        relative_noise = 1 / np.sqrt(max(float(np.median(counts)), 1.0))
        for metric, index, unit in (("downloads", 0, "requests"), ("bytes", 1, "bytes")):
            series = _series({w: v[index] for w, v in windows.items()}, first, last)
            if metric == "bytes" and not series.any():
                continue
            typical = max(float(np.median(series)), 1.0)
            floor = np.sqrt(typical) if metric == "downloads" else typical * relative_noise
            median, _, z = robust_z(series, floor)
            least = t.min_downloads if metric == "downloads" else 0
            for offset in np.flatnonzero(
                (z > t.z_score) & (series >= t.volume_factor * max(median, 1.0)) & (series >= least)
            ):
                window = first + int(offset)
                if metric == "bytes" and windows[window][0] < t.min_downloads:
                    continue
                found.append(
                    Anomaly(
                        "download-volume", principal, _start(window, t.window_seconds),
                        float(series[offset]), median, float(z[offset]),
                        f"{int(series[offset])} {unit} downloaded vs a median of {median:g}",
                    )
                )  # fmt: skip
    return _one_per_window(found)


def _one_per_window(found: list[Anomaly]) -> list[Anomaly]:
    best: dict[tuple[str, str, datetime | None], Anomaly] = {}
    for anomaly in found:
        key = (anomaly.kind, anomaly.subject, anomaly.window_start)
        if key not in best or anomaly.score > best[key].score:
            best[key] = anomaly
    return sorted(best.values(), key=lambda a: (a.subject, a.window_start or datetime.min))


def delete_episodes(windows: dict[int, float]) -> list[tuple[int, int, float]]:
    """(first window, last window, deletes) of each run of consecutive windows with deletes."""
    episodes: list[tuple[int, int, float]] = []
    for window in sorted(windows):
        if episodes and episodes[-1][1] == window - 1:
            first, _, total = episodes[-1]
            episodes[-1] = (first, window, total + windows[window])
        else:
            episodes.append((window, window, windows[window]))
    return episodes


def mass_deletes(store: AccessLogStore, t: AuditThresholds) -> list[Anomaly]:
    """Runs of deletes by one principal far larger than their other runs.

    A run is a stretch of consecutive windows with deletes, so a mass delete is caught
    however fast it went (split over windows or not).
    """
    per: dict[str, dict[int, float]] = defaultdict(dict)
    for principal, window, count in store.deletes_by_window(t.window_seconds):
        per[principal][window] = count
    found = []
    for principal, windows in sorted(per.items()):
        episodes = delete_episodes(windows)
        for first, last, total in episodes:
            others = [e[2] for e in episodes if e[0] != first]
            typical = float(np.median(others)) if others else 0.0
            if total >= t.min_deletes and total >= t.delete_factor * max(typical, 1.0):
                found.append(
                    Anomaly(
                        "mass-delete", principal, _start(first, t.window_seconds), total,
                        typical, total / max(typical, 1.0),
                        f"{int(total)} deletes in {last - first + 1} window(s) "
                        f"vs a typical run of {typical:g}",
                    )
                )  # fmt: skip
    return found


def unusual_actors(
    store: AccessLogStore, t: AuditThresholds, known: Collection[str] = ()
) -> list[Anomaly]:
    """Principals and IPs seen in very few windows of a long log, or outside `known`."""
    span = store.window_range(t.window_seconds)
    if span is None:
        return []
    long_log = span[1] - span[0] + 1 >= t.unusual_min_span_windows
    found = []
    for column, kind in (("principal", "unusual-principal"), ("remote_ip", "unusual-ip")):
        for value, windows, requests, first_seen in store.activity(column, t.window_seconds):
            rare = long_log and windows <= t.unusual_max_windows
            unknown = bool(known) and column == "principal" and value not in known
            if rare or unknown:
                why = "not a known principal" if unknown else f"active in {windows} window(s)"
                found.append(
                    Anomaly(
                        kind, value, first_seen.replace(tzinfo=UTC), float(requests),
                        0.0, float(windows), f"{requests} requests, {why}",
                    )
                )  # fmt: skip
    return found


def forbidden_spikes(store: AccessLogStore, t: AuditThresholds) -> list[Anomaly]:
    """Windows with far more 403 responses than the log's baseline, named after the
    principal with the most of them (and their IP)."""
    span = store.window_range(t.window_seconds)
    if span is None:
        return []
    series = _series(dict(store.forbidden_by_window(t.window_seconds)), *span)
    median, _, z = robust_z(series, np.sqrt(max(float(np.median(series)), 1.0)))
    found = []
    for offset in np.flatnonzero((z > t.z_score) & (series >= t.min_forbidden)):
        window = span[0] + int(offset)
        principal, ip, most = store.forbidden_sources(window, t.window_seconds)[0]
        found.append(
            Anomaly(
                "forbidden-spike", principal, _start(window, t.window_seconds),
                float(series[offset]), median, float(z[offset]),
                f"{int(series[offset])} 403 responses vs a median of {median:g}; "
                f"{most} by {principal} from {ip}",
            )
        )  # fmt: skip
    return found


def detect_all(
    store: AccessLogStore, thresholds: AuditThresholds, known: Collection[str] = ()
) -> list[Anomaly]:
    """Every detector's findings."""
    return (
        download_volume(store, thresholds)
        + mass_deletes(store, thresholds)
        + unusual_actors(store, thresholds, known)
        + forbidden_spikes(store, thresholds)
    )
