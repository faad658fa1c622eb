"""Windows of the run over time: throughput, hit ratio and latency percentiles per interval."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from loadtests.recorder import BYTE_METRICS, Recorder, Series, percentile


@dataclass(frozen=True)
class Window:
    """One interval of the run (seconds since start at its end)."""

    t: float
    rps: float
    mb_per_s: float
    failures_per_s: float
    hit_ratio: float | None
    p50_first_byte: float | None
    p95_first_byte: float | None
    p99_first_byte: float | None
    users: int = 0

    def to_json(self) -> dict[str, float | int | None]:
        return asdict(self)


def _difference(new: Series, old: Series | None) -> Series:
    if old is None:
        return new
    histogram = {b: n - old.histogram.get(b, 0) for b, n in new.histogram.items()}
    return Series(
        count=new.count - old.count,
        failures=new.failures - old.failures,
        total_ms=new.total_ms - old.total_ms,
        bytes=new.bytes - old.bytes,
        histogram={b: n for b, n in histogram.items() if n > 0},
    )


def window(
    previous: Recorder, current: Recorder, t: float, seconds: float, users: int = 0
) -> Window:
    """What happened between two snapshots of the cumulative recorder."""
    old_metrics, old_cache = previous.combined()
    new_metrics, new_cache = current.combined()
    deltas = {m: _difference(s, old_metrics.get(m)) for m, s in new_metrics.items()}
    requests = sum(s.count + s.failures for s in deltas.values())
    failures = sum(s.failures for s in deltas.values())
    transferred = sum(s.bytes for m, s in deltas.items() if m in BYTE_METRICS)
    hits = new_cache.hits - old_cache.hits
    misses = new_cache.misses - old_cache.misses
    first_byte = deltas.get("first_byte", Series()).histogram
    seconds = max(seconds, 1e-9)
    return Window(
        t=round(t, 2),
        rps=requests / seconds,
        mb_per_s=transferred / 1024**2 / seconds,
        failures_per_s=failures / seconds,
        hit_ratio=(100.0 * hits / (hits + misses)) if hits + misses else None,
        p50_first_byte=percentile(first_byte, 0.5),
        p95_first_byte=percentile(first_byte, 0.95),
        p99_first_byte=percentile(first_byte, 0.99),
        users=users,
    )
