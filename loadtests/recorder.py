"""What the scenarios measure, per region and metric, mergeable across Locust workers.

Each worker records into its own `Recorder` and ships `drain()` to the master with every
stats report (Locust's `report_to_master` / `worker_report` events); the master `merge`s them,
so SLAs and the per-region breakdown are computed from every worker's samples. Latencies
are kept as histograms of rounded milliseconds (like Locust's own stats), so percentiles
merge exactly and memory stays bounded.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

ALL_REGIONS = "all"
BYTE_METRICS = ("download", "upload", "hls_segment")
"""Metrics whose `avg` is a throughput in MB/s (bytes over transfer time), not a latency."""


def rounded_ms(ms: float) -> int:
    """Histogram bucket: exact below 100 ms, then two significant digits."""
    value = round(ms)
    if value < 100:
        return max(value, 0)
    magnitude = 10 ** (len(str(value)) - 2)
    return round(value / magnitude) * magnitude


def percentile(histogram: dict[int, int], fraction: float) -> float | None:
    """The `fraction` percentile (0..1) of a histogram of bucket -> count."""
    total = sum(histogram.values())
    if total == 0:
        return None
    rank = fraction * total
    seen = 0
    for bucket in sorted(histogram):
        seen += histogram[bucket]
        if seen >= rank:
            return float(bucket)
    return float(max(histogram))


@dataclass
class Series:
    """Samples of one metric in one region."""

    count: int = 0
    failures: int = 0
    total_ms: float = 0.0
    bytes: int = 0
    histogram: dict[int, int] = field(default_factory=dict)

    def add(self, ms: float, nbytes: int = 0, failed: bool = False) -> None:
        if failed:
            self.failures += 1
            return
        self.count += 1
        self.total_ms += ms
        self.bytes += nbytes
        bucket = rounded_ms(ms)
        self.histogram[bucket] = self.histogram.get(bucket, 0) + 1

    def merge(self, other: Series) -> None:
        self.count += other.count
        self.failures += other.failures
        self.total_ms += other.total_ms
        self.bytes += other.bytes
        for bucket, n in other.histogram.items():
            self.histogram[bucket] = self.histogram.get(bucket, 0) + n

    def to_json(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "failures": self.failures,
            "total_ms": self.total_ms,
            "bytes": self.bytes,
            "histogram": {str(k): v for k, v in self.histogram.items()},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Series:
        return cls(
            count=int(data["count"]),
            failures=int(data["failures"]),
            total_ms=float(data["total_ms"]),
            bytes=int(data["bytes"]),
            histogram={int(k): int(v) for k, v in data["histogram"].items()},
        )


@dataclass
class CacheCounts:
    hits: int = 0
    misses: int = 0

    @property
    def ratio_percent(self) -> float | None:
        total = self.hits + self.misses
        return None if total == 0 else 100.0 * self.hits / total


@dataclass
class Recorder:
    """Series per (region, metric) and edge cache hits/misses per region."""

    region: str = "local"
    series: dict[tuple[str, str], Series] = field(default_factory=dict)
    cache: dict[str, CacheCounts] = field(default_factory=dict)

    def sample(self, metric: str, ms: float, nbytes: int = 0, failed: bool = False) -> None:
        self.series.setdefault((self.region, metric), Series()).add(ms, nbytes, failed)

    def cache_status(self, header: str | None) -> None:
        """Count an edge response by its `X-Cache` / `cf-cache-status` header value."""
        if not header:
            return
        counts = self.cache.setdefault(self.region, CacheCounts())
        if header.strip().upper().startswith("HIT"):
            counts.hits += 1
        else:
            counts.misses += 1

    def to_json(self) -> dict[str, Any]:
        return {
            "series": [[r, m, s.to_json()] for (r, m), s in self.series.items()],
            "cache": {r: [c.hits, c.misses] for r, c in self.cache.items()},
        }

    def drain(self) -> dict[str, Any]:
        """Everything recorded since the last drain (sent to the master), then reset."""
        data = self.to_json()
        self.series = {}
        self.cache = {}
        return data

    def merge(self, data: dict[str, Any]) -> None:
        for region, metric, series in data.get("series", []):
            self.series.setdefault((region, metric), Series()).merge(Series.from_json(series))
        for region, (hits, misses) in data.get("cache", {}).items():
            counts = self.cache.setdefault(region, CacheCounts())
            counts.hits += hits
            counts.misses += misses

    def snapshot(self) -> Recorder:
        return copy.deepcopy(self)

    def regions(self) -> list[str]:
        return sorted({r for r, _ in self.series} | set(self.cache))

    def combined(
        self, regions: Iterable[str] | None = None
    ) -> tuple[dict[str, Series], CacheCounts]:
        """Series per metric and cache counts summed over `regions` (default: all)."""
        wanted = set(regions) if regions is not None else None
        metrics: dict[str, Series] = {}
        for (region, metric), series in self.series.items():
            if wanted is None or region in wanted:
                metrics.setdefault(metric, Series()).merge(series)
        cache = CacheCounts()
        for region, counts in self.cache.items():
            if wanted is None or region in wanted:
                cache.hits += counts.hits
                cache.misses += counts.misses
        return metrics, cache

    def measurements(self, regions: Iterable[str] | None = None) -> dict[str, float]:
        """Measurement name (`p95 first_byte`, `avg download`, ...) -> value."""
        metrics, cache = self.combined(regions)
        result: dict[str, float] = {}
        total = failures = 0
        for metric, series in metrics.items():
            total += series.count + series.failures
            failures += series.failures
            result[f"value {metric}_count"] = float(series.count)
            for name, fraction in (("p50", 0.5), ("p90", 0.9), ("p95", 0.95), ("p99", 0.99)):
                value = percentile(series.histogram, fraction)
                if value is not None:
                    result[f"{name} {metric}"] = value
            if series.histogram:
                result[f"min {metric}"] = float(min(series.histogram))
                result[f"max {metric}"] = float(max(series.histogram))
            if series.count and series.total_ms > 0:
                if metric in BYTE_METRICS:
                    result[f"avg {metric}"] = series.bytes / 1024**2 / (series.total_ms / 1000)
                else:
                    result[f"avg {metric}"] = series.total_ms / series.count
        if total:
            result["rate failures"] = 100.0 * failures / total
            result["value requests"] = float(total)
        if cache.ratio_percent is not None:
            result["value hit_ratio"] = cache.ratio_percent
        return result
