"""The demo's SLA scorecard: a load run, a point-in-time drill and the EICAR outcome, combined.

`run_scorecard` runs `mediainfra load` against the running local stack (a subprocess; its
`loadtest.json` is read back), then a PITR drill on its own prefix of the masters bucket
(`drills.runner.run_drill`), and combines both with the demo's malicious-upload outcome into
one row per SLA of `settings.slas`: SLA, target, measured, result. The table is printed and
written as `<root>/reports/scorecard.json`.

A row's result is `pass`, `FAIL`, `no data` (the source ran but did not exercise it) or
`error` (its source could not run); `FAIL` and `error` fail the scorecard.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from rich.console import Console
from rich.table import Table

from local.layout import LocalLayout, StackState
from stacks.settings import Settings, SlaSettings

SCORECARD_FILE = "scorecard.json"
DRILL_PREFIX = "drill/"
"""The drill's own prefix of the masters bucket: it never touches the demo's objects."""
MEDIAINFRA = [sys.executable, "-c", "from mediainfra.cli import main; main()"]
FAILING_RESULTS = ("FAIL", "error")


@dataclass(frozen=True)
class SlaSpec:
    """How one field of `SlaSettings` is measured and shown."""

    field: str
    label: str
    source: str
    """`load`, `drill` or `demo`."""
    key: str
    """The load measurement (`avg upload`) or the drill measure (`rto`, `rpo`)."""
    unit: str
    scale: float = 1.0
    """Multiplies the source's value into `unit` (the load reports queue wait in ms)."""


SLA_SPECS: tuple[SlaSpec, ...] = (
    SlaSpec("upload_mb_per_s", "upload throughput", "load", "avg upload", "MB/s"),
    SlaSpec("download_mb_per_s", "download throughput", "load", "avg download", "MB/s"),
    SlaSpec("first_byte_p95_ms", "first byte p95", "load", "p95 first_byte", "ms"),
    SlaSpec("cache_hit_percent", "cache hit ratio", "load", "value hit_ratio", "%"),
    SlaSpec("queue_wait_p95_seconds", "queue wait p95", "load", "p95 queue_wait", "s", 0.001),
    SlaSpec("max_failure_percent", "failure rate", "load", "rate failures", "%"),
    SlaSpec("rto_minutes", "RTO (PITR drill)", "drill", "rto", "s"),
    SlaSpec("rpo_minutes", "RPO (PITR drill)", "drill", "rpo", "s"),
    SlaSpec("malicious_blocked_percent", "malicious uploads blocked", "demo", "eicar", "%"),
)
"""One entry per SLA; a field of `SlaSettings` missing here still gets a `no data` row."""


@dataclass(frozen=True)
class SourceError:
    """A source (the load run, the drill) that could not produce a result."""

    message: str


@dataclass(frozen=True)
class ScorecardRow:
    """One SLA: its target, what was measured and whether it held."""

    sla: str
    setting: str
    source: str
    target: str
    measured: str
    result: str
    op: str = ""
    target_value: float | None = None
    measured_value: float | None = None
    unit: str = ""


@dataclass(frozen=True)
class Scorecard:
    """Every SLA of the stack with its result, and where the detailed reports are."""

    stack: str
    rows: list[ScorecardRow]
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())
    reports: dict[str, str] = field(default_factory=dict)

    @property
    def failed(self) -> list[ScorecardRow]:
        return [row for row in self.rows if row.result in FAILING_RESULTS]

    @property
    def passed(self) -> bool:
        return not self.failed

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "created_at": self.created_at,
            "passed": self.passed,
            "rows": [asdict(row) for row in self.rows],
            "reports": self.reports,
        }


def _number(value: float, unit: str) -> str:
    return f"{value:.2f} {unit}".rstrip()


def _load_row(spec: SlaSpec, load: dict[str, Any]) -> ScorecardRow:
    verdict = next((r for r in load.get("scorecard", []) if r.get("measurement") == spec.key), None)
    if verdict is None:
        return ScorecardRow(spec.label, spec.field, "load", "-", "-", "no data", unit=spec.unit)
    target = float(verdict["target"]) * spec.scale
    value = verdict.get("value")
    measured = None if value is None else float(value) * spec.scale
    return ScorecardRow(
        sla=spec.label,
        setting=spec.field,
        source="load",
        target=f"{verdict['op']} {target:g} {spec.unit}",
        measured="-" if measured is None else _number(measured, spec.unit),
        result=str(verdict["result"]),
        op=str(verdict["op"]),
        target_value=target,
        measured_value=measured,
        unit=spec.unit,
    )


def _drill_row(spec: SlaSpec, drill: dict[str, Any]) -> ScorecardRow:
    seconds = drill.get(f"{spec.key}_seconds")
    target = float(drill[f"{spec.key}_target_seconds"])
    restored = not (drill.get("error") or drill.get("missing") or drill.get("different"))
    measured = "-" if seconds is None else _number(float(seconds), "s")
    if seconds is None:
        result = "no data" if restored else "FAIL"
    else:
        result = "pass" if restored and float(seconds) <= target else "FAIL"
    if not restored:
        measured += f" (restore not verified: {len(drill.get('missing', []))} missing, "
        measured += f"{len(drill.get('different', []))} different)"
    return ScorecardRow(
        sla=spec.label,
        setting=spec.field,
        source="drill",
        target=f"<= {target / 60:g} min",
        measured=measured,
        result=result,
        op="<=",
        target_value=target,
        measured_value=None if seconds is None else float(seconds),
        unit="s",
    )


def _malicious_row(spec: SlaSpec, target: float, outcome: tuple[int, int]) -> ScorecardRow:
    blocked, total = outcome
    percent = 100.0 * blocked / total if total else None
    return ScorecardRow(
        sla=spec.label,
        setting=spec.field,
        source="demo",
        target=f">= {target:g} %",
        measured="-" if percent is None else f"{percent:.0f} % ({blocked}/{total})",
        result="no data" if percent is None else ("pass" if percent >= target else "FAIL"),
        op=">=",
        target_value=target,
        measured_value=percent,
        unit="%",
    )


def build_scorecard(
    stack: str,
    slas: SlaSettings,
    load: dict[str, Any] | SourceError | None,
    drill: dict[str, Any] | SourceError | None,
    malicious: tuple[int, int] | None,
) -> Scorecard:
    """One row per field of `slas`, from a `loadtest.json`, a drill report and (blocked, total).

    A source that is None was not run (`no data`); a `SourceError` makes its rows `error`.
    """
    sources: dict[str, Any] = {"load": load, "drill": drill, "demo": malicious}
    specs = {spec.field: spec for spec in SLA_SPECS}
    rows = []
    for name in type(slas).model_fields:
        spec = specs.get(name) or SlaSpec(name, name.replace("_", " "), "-", name, "")
        source = sources.get(spec.source)
        if isinstance(source, SourceError):
            rows.append(ScorecardRow(spec.label, name, spec.source, "-", source.message, "error"))
        elif source is None:
            rows.append(ScorecardRow(spec.label, name, spec.source, "-", "-", "no data"))
        elif spec.source == "load":
            rows.append(_load_row(spec, source))
        elif spec.source == "drill":
            rows.append(_drill_row(spec, source))
        else:
            rows.append(_malicious_row(spec, float(getattr(slas, name)), source))
    return Scorecard(stack=stack, rows=rows)


def render(scorecard: Scorecard) -> Table:
    """The scorecard as one table: SLA, target, measured, result."""
    verdict = "every SLA holds" if scorecard.passed else f"{len(scorecard.failed)} SLA(s) FAILED"
    table = Table(title=f"SLA scorecard, stack {scorecard.stack}: {verdict}")
    for column in ("SLA", "target", "measured", "result", "from"):
        table.add_column(column, overflow="fold")
    styles = {"pass": "green", "FAIL": "bold red", "error": "bold red", "no data": "yellow"}
    for row in scorecard.rows:
        result = f"[{styles.get(row.result, '')}]{row.result}[/]"
        table.add_row(row.sla, row.target, row.measured, result, row.source)
    return table


def write_scorecard(scorecard: Scorecard, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / SCORECARD_FILE
    path.write_text(json.dumps(scorecard.to_json(), indent=2))
    return path


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "(no output)"


def run_load(
    stack: str, layout: LocalLayout, duration: str
) -> tuple[dict[str, Any] | SourceError, str]:
    """`mediainfra load` against the stack; its `loadtest.json` (or why there is none), folder."""
    reports = layout.dir("reports") / "load"
    before = set(reports.iterdir()) if reports.exists() else set()
    argv = [
        *MEDIAINFRA, "load", "--stack", stack, "--duration", duration,
        "--state-file", str(layout.state_file), "--reports-dir", str(reports),
    ]  # fmt: skip
    completed = subprocess.run(argv, capture_output=True, text=True, check=False)  # noqa: S603
    new = sorted(p for p in reports.iterdir() if p not in before) if reports.exists() else []
    result = new[-1] / "loadtest.json" if new else None
    if completed.returncode not in (0, 3) or result is None or not result.exists():
        line = _last_line(completed.stderr or completed.stdout)
        return SourceError(f"`mediainfra load` exited {completed.returncode}: {line}"), ""
    return json.loads(result.read_text()), str(result.parent)


def run_pitr_drill(
    settings: Settings, state: StackState, layout: LocalLayout
) -> tuple[dict[str, Any] | SourceError, str]:
    """A PITR drill of the masters bucket under `drill/`; its report (or why none), folder."""
    from drills.endpoints import client
    from drills.errors import DrillError, RestoreVerificationError
    from drills.runner import DrillContext, DrillSpec, run_drill

    reports = layout.dir("reports") / "drills"
    context = DrillContext(
        settings=settings,
        s3=client("s3", settings, state.endpoint),
        reports_dir=reports,
        echo=lambda _line: None,
    )
    try:
        report = run_drill(context, DrillSpec(kind="pitr", prefix=DRILL_PREFIX))
    except RestoreVerificationError as exc:
        if exc.report_path is None:
            return SourceError(f"drill did not verify: {exc}"), str(reports)
        return json.loads(exc.report_path.read_text()), str(exc.report_path)
    except (DrillError, ClientError, BotoCoreError) as exc:
        return SourceError(f"drill could not run: {exc}"), str(reports)
    return report.to_json(), str(reports / f"{report.drill_id}.json")


def run_scorecard(
    settings: Settings,
    layout: LocalLayout,
    console: Console,
    *,
    duration: str,
    malicious: tuple[int, int] | None,
) -> Scorecard:
    """Load, drill, combine with the malicious-upload outcome; print and write the scorecard."""
    state = StackState.load(layout)
    if state is None:
        raise RuntimeError(f"the local stack is not up (no {layout.state_file})")
    with console.status(f"SLA load run ({duration}) against {state.edge_url}"):
        load, load_dir = run_load(settings.stack, layout, duration)
    with console.status(f"point-in-time drill on {settings.bucket_name('masters')}/{DRILL_PREFIX}"):
        drill, drill_report = run_pitr_drill(settings, state, layout)
    scorecard = build_scorecard(settings.stack, settings.slas, load, drill, malicious)
    reports = {"load": load_dir, "drill": drill_report}
    scorecard = Scorecard(scorecard.stack, scorecard.rows, scorecard.created_at, reports)
    path = write_scorecard(scorecard, layout.dir("reports"))
    console.print(render(scorecard))
    console.print(f"scorecard: {path} | load report: {load_dir or '-'} | drill: {drill_report}")
    if not scorecard.passed:
        names = ", ".join(f"{row.sla} ({row.result})" for row in scorecard.failed)
        console.print(f"[bold red]SLA FAILED[/]: {names}")
    return scorecard
