"""SLA thresholds as k6-style expressions: `p95 first_byte < 200ms`, `rate failures < 1%`.

Grammar: `[aggregate] metric op number[unit]`.
- aggregate: `p50|p90|p95|p99|avg|min|max` (latencies), `rate` (fractions), `value`; default
  `value`.
- op: `<`, `<=`, `>`, `>=`.
- unit: `ms`, `s` (durations, normalised to ms), `%` (percent), `MB/s`, `KB/s` (normalised to
  MB/s), or none.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from stacks.settings import SlaSettings

EXIT_SLA_FAILED = 3
"""Process exit code of a run whose SLA gate failed (0: every SLA held)."""

AGGREGATES = ("p50", "p90", "p95", "p99", "avg", "min", "max", "rate", "value")
OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
UNITS: dict[str, tuple[str, float]] = {
    "ms": ("ms", 1.0),
    "s": ("ms", 1000.0),
    "%": ("%", 1.0),
    "mb/s": ("MB/s", 1.0),
    "kb/s": ("MB/s", 1 / 1024),
    "": ("", 1.0),
}
_EXPRESSION = re.compile(
    r"^\s*(?:(?P<agg>[a-z][a-z0-9]*)\s+)?(?P<metric>[a-z][a-z0-9_]*)\s*"
    r"(?P<op><=|>=|<|>)\s*(?P<number>[0-9]+(?:\.[0-9]+)?)\s*(?P<unit>ms|s|%|[mk]b/s)?\s*$",
    re.IGNORECASE,
)


class ThresholdSyntaxError(ValueError):
    """An SLA expression that does not parse; names the expression and the expected form."""

    def __init__(self, text: str, reason: str) -> None:
        self.text = text
        super().__init__(
            f"bad SLA threshold {text!r}: {reason} "
            "(expected '[p95|avg|rate|value] metric <|<=|>|>= number[ms|s|%|MB/s]')"
        )


@dataclass(frozen=True)
class Threshold:
    """One parsed SLA: `aggregate(metric) op value` in normalised units."""

    text: str
    aggregate: str
    metric: str
    op: str
    value: float
    unit: str

    @property
    def key(self) -> str:
        """The measurement this threshold reads: `<aggregate> <metric>`."""
        return f"{self.aggregate} {self.metric}"

    def holds(self, measured: float) -> bool:
        return OPERATORS[self.op](measured, self.value)

    def tightened(self, factor: float) -> Threshold:
        """A stricter copy (for tests and what-if runs)."""
        value = self.value / factor if self.op in ("<", "<=") else self.value * factor
        return Threshold(self.text, self.aggregate, self.metric, self.op, value, self.unit)


@dataclass(frozen=True)
class Verdict:
    """A threshold against what was measured: pass, fail, or no data (not exercised)."""

    threshold: Threshold
    measured: float | None

    @property
    def status(self) -> str:
        if self.measured is None:
            return "no data"
        return "pass" if self.threshold.holds(self.measured) else "FAIL"

    @property
    def failed(self) -> bool:
        return self.status == "FAIL"


def parse_threshold(text: str) -> Threshold:
    """Parse one expression; raise `ThresholdSyntaxError` naming what is wrong."""
    match = _EXPRESSION.match(text)
    if not match:
        raise ThresholdSyntaxError(text, "does not match the grammar")
    aggregate = (match["agg"] or "value").lower()
    if aggregate not in AGGREGATES:
        raise ThresholdSyntaxError(text, f"unknown aggregate {aggregate!r}")
    unit, scale = UNITS[(match["unit"] or "").lower()]
    return Threshold(
        text=text.strip(),
        aggregate=aggregate,
        metric=match["metric"].lower(),
        op=match["op"],
        value=float(match["number"]) * scale,
        unit=unit,
    )


def parse_thresholds(texts: str | list[str]) -> list[Threshold]:
    """Parse `;`-separated expressions (or a list of them); empty entries are skipped."""
    items = texts.split(";") if isinstance(texts, str) else texts
    return [parse_threshold(item) for item in items if item.strip()]


def default_thresholds(slas: SlaSettings) -> list[Threshold]:
    """The stack's SLAs as thresholds (the source of every default)."""
    return parse_thresholds(
        [
            f"p95 first_byte < {slas.first_byte_p95_ms}ms",
            f"rate failures < {slas.max_failure_percent}%",
            f"avg download > {slas.download_mb_per_s}MB/s",
            f"avg upload > {slas.upload_mb_per_s}MB/s",
            f"value hit_ratio >= {slas.cache_hit_percent}%",
            f"p95 queue_wait < {slas.queue_wait_p95_seconds}s",
        ]
    )


def merge_thresholds(base: list[Threshold], overrides: list[Threshold]) -> list[Threshold]:
    """`base` with any threshold on the same measurement replaced by its override (last wins)."""
    result = list(base)
    for override in overrides:
        result = [t for t in result if t.key != override.key] + [override]
    return result


def evaluate(thresholds: list[Threshold], measurements: Mapping[str, float]) -> list[Verdict]:
    """Each threshold against `measurements[threshold.key]` (absent: no data)."""
    return [Verdict(t, measurements.get(t.key)) for t in thresholds]


def format_value(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    return f"{value:.2f}{unit}" if unit else f"{value:.4g}"


def scorecard_rows(verdicts: list[Verdict]) -> list[tuple[str, str, str]]:
    """(threshold, measured, result) rows of the scorecard."""
    return [
        (v.threshold.text, format_value(v.measured, v.threshold.unit), v.status) for v in verdicts
    ]


def render_table(verdicts: list[Verdict]) -> str:
    """A plain-text table: threshold, measured, pass/fail."""
    rows = [("threshold", "measured", "result"), *scorecard_rows(verdicts)]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
