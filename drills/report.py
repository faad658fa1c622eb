"""Drill reports: one JSON and one Markdown file per drill, and a JSONL drill history."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HISTORY_FILE = "history.jsonl"


@dataclass(frozen=True)
class DrillReport:
    """Everything a drill measured and decided."""

    drill_id: str
    kind: str
    stack: str
    bucket: str
    prefix: str
    target_bucket: str
    point: str
    incident: str
    incident_started_at: str
    finished_at: str
    damage: dict[str, int]
    manifest_objects: int
    manifest_bytes: int
    copied: int
    deleted: int
    verified: int
    missing: list[str]
    different: list[str]
    writes_during: int
    rto_seconds: float | None
    rpo_seconds: float | None
    rto_target_seconds: float
    rpo_target_seconds: float
    error: str | None = None
    dry_run: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def restored(self) -> bool:
        return self.error is None and not self.missing and not self.different

    @property
    def rto_met(self) -> bool:
        return self.rto_seconds is not None and self.rto_seconds <= self.rto_target_seconds

    @property
    def rpo_met(self) -> bool:
        return self.rpo_seconds is not None and self.rpo_seconds <= self.rpo_target_seconds

    @property
    def status(self) -> str:
        if self.dry_run:
            return "dry-run"
        if not self.restored:
            return "failed"
        return "passed" if self.rto_met and self.rpo_met else "sla-missed"

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "status": self.status}

    def to_markdown(self) -> str:
        def fmt(value: float | None) -> str:
            return "-" if value is None else f"{value:.2f} s"

        lines = [
            f"# Restore drill {self.drill_id}: {self.kind} — {self.status.upper()}",
            "",
            f"- stack `{self.stack}`, bucket `{self.bucket}`, prefix `{self.prefix or '(all)'}`",
            f"- restored into `{self.target_bucket}` to the point `{self.point}`",
            f"- incident `{self.incident}` at {self.incident_started_at}: "
            + ", ".join(f"{n} {k}" for k, n in self.damage.items()),
            f"- manifest: {self.manifest_objects} objects, {self.manifest_bytes} bytes; "
            f"writes during the drill: {self.writes_during}",
            f"- restore: {self.copied} copied, {self.deleted} deleted; "
            f"verified by sha256: {self.verified}/{self.manifest_objects}",
            "",
            "| measure | target | measured | result |",
            "|---|---|---|---|",
            f"| RTO (incident to verified restore) | {fmt(self.rto_target_seconds)} | "
            f"{fmt(self.rto_seconds)} | {'pass' if self.rto_met else 'FAIL'} |",
            f"| RPO (point minus newest restored write) | {fmt(self.rpo_target_seconds)} | "
            f"{fmt(self.rpo_seconds)} | {'pass' if self.rpo_met else 'FAIL'} |",
            f"| objects verified | {self.manifest_objects} | {self.verified} | "
            f"{'pass' if self.restored else 'FAIL'} |",
        ]
        if self.missing:
            lines += ["", "## Missing", "", *(f"- `{k}`" for k in self.missing)]
        if self.different:
            lines += [
                "",
                "## Different from the manifest",
                "",
                *(f"- `{k}`" for k in self.different),
            ]
        if self.error:
            lines += ["", "## Error", "", "```", self.error, "```"]
        return "\n".join(lines) + "\n"


def write_report(report: DrillReport, reports_dir: Path) -> tuple[Path, Path]:
    """Write `<id>.json` and `<id>.md` and append one line to the history."""
    reports_dir.mkdir(parents=True, exist_ok=True)
    json_path = reports_dir / f"{report.drill_id}.json"
    md_path = reports_dir / f"{report.drill_id}.md"
    json_path.write_text(json.dumps(report.to_json(), indent=2))
    md_path.write_text(report.to_markdown())
    with (reports_dir / HISTORY_FILE).open("a") as history:
        history.write(json.dumps(report.to_json(), sort_keys=True) + "\n")
    return json_path, md_path


def read_history(reports_dir: Path) -> list[dict[str, Any]]:
    """Every drill recorded under `reports_dir`, oldest first."""
    path = reports_dir / HISTORY_FILE
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
