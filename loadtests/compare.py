"""Compare two load-test results: flag measurements that got worse beyond a tolerance.

Latencies, failure rates and queue waits regress when they grow; throughputs (`avg` of the
byte metrics) and the hit ratio regress when they shrink. The change is relative to the
baseline, with a floor of 1 unit (ms, %, MB/s) so a baseline near zero does not turn noise
into an infinite regression. Counts, minima and maxima are not compared.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from loadtests.recorder import BYTE_METRICS

FLOOR = 1.0


@dataclass(frozen=True)
class Change:
    measurement: str
    base: float
    new: float
    higher_is_better: bool
    change: float
    """Relative change in the bad direction (positive: worse)."""

    def regressed(self, tolerance: float) -> bool:
        return self.change > tolerance


def direction(measurement: str) -> bool | None:
    """True: higher is better; False: lower is better; None: not compared."""
    aggregate, _, metric = measurement.partition(" ")
    if metric.endswith("_count") or aggregate in ("min", "max") or measurement == "value requests":
        return None
    if measurement == "value hit_ratio":
        return True
    if aggregate == "avg" and metric in BYTE_METRICS:
        return True
    if aggregate in ("p50", "p90", "p95", "p99", "avg", "rate"):
        return False
    return None


def compare(base: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """Every comparable measurement present in both results."""
    changes = []
    base_m, new_m = base["measurements"], new["measurements"]
    for name in sorted(set(base_m) & set(new_m)):
        higher = direction(name)
        if higher is None:
            continue
        b, n = float(base_m[name]), float(new_m[name])
        worse = (b - n) if higher else (n - b)
        changes.append(Change(name, b, n, higher, worse / max(abs(b), FLOOR)))
    return changes


def regressions(changes: list[Change], tolerance: float) -> list[Change]:
    return [c for c in changes if c.regressed(tolerance)]


def render(changes: list[Change], tolerance: float) -> str:
    rows = [("measurement", "base", "new", "change", "result")]
    for c in changes:
        signed = -c.change if c.higher_is_better else c.change
        verdict = "REGRESSION" if c.regressed(tolerance) else "ok"
        rows.append((c.measurement, f"{c.base:.3f}", f"{c.new:.3f}", f"{signed:+.1%}", verdict))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(r)) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
