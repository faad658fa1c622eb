"""Load-test results: one JSON document, CSV tables and an HTML report with plots.

The JSON (`loadtest.json`) is what `mediainfra load compare` reads: the scorecard, every
measurement, the per-region breakdown and the timeline.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from loadtests.recorder import Recorder
from loadtests.sla import Verdict, evaluate, format_value, render_table
from loadtests.timeline import Window

JSON_NAME, SCORECARD_CSV, TIMELINE_CSV, HTML_NAME = (
    "loadtest.json",
    "scorecard.csv",
    "timeline.csv",
    "report.html",
)


@dataclass(frozen=True)
class LoadResult:
    stack: str
    host: str
    shape: str
    started_at: str
    finished_at: str
    scorecard: list[dict[str, Any]]
    measurements: dict[str, float]
    regions: dict[str, dict[str, float]]
    region_scorecards: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    timeline: list[dict[str, Any]] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not any(row["result"] == "FAIL" for row in self.scorecard)

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "host": self.host,
            "shape": self.shape,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "passed": self.passed,
            "scorecard": self.scorecard,
            "measurements": self.measurements,
            "regions": self.regions,
            "region_scorecards": self.region_scorecards,
            "timeline": self.timeline,
        }

    def region_tables(self) -> dict[str, str]:
        """Plain-text scorecard per region (only when more than one region reported)."""
        if len(self.region_scorecards) < 2:
            return {}
        return {
            region: "\n".join(f"{r['threshold']}: {r['measured']} {r['result']}" for r in rows)
            for region, rows in self.region_scorecards.items()
        }


def _rows(verdicts: list[Verdict]) -> list[dict[str, Any]]:
    return [
        {
            "threshold": v.threshold.text,
            "measurement": v.threshold.key,
            "target": v.threshold.value,
            "op": v.threshold.op,
            "unit": v.threshold.unit,
            "measured": format_value(v.measured, v.threshold.unit),
            "value": v.measured,
            "result": v.status,
        }
        for v in verdicts
    ]


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat()


def build_result(
    *,
    stack: str,
    host: str,
    shape: str,
    started: float,
    finished: float,
    verdicts: list[Verdict],
    recorder: Recorder,
    timeline: list[Window],
) -> LoadResult:
    thresholds = [v.threshold for v in verdicts]
    regions = {r: recorder.measurements([r]) for r in recorder.regions()}
    return LoadResult(
        stack=stack,
        host=host,
        shape=shape,
        started_at=_iso(started),
        finished_at=_iso(finished),
        scorecard=_rows(verdicts),
        measurements=recorder.measurements(),
        regions=regions,
        region_scorecards={r: _rows(evaluate(thresholds, m)) for r, m in regions.items()},
        timeline=[w.to_json() for w in timeline],
    )


def load_result(path: Path) -> dict[str, Any]:
    """A `loadtest.json` document; a missing or malformed one is a clear error."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"cannot read load-test result {path}: {exc}") from None
    if not isinstance(data, dict) or "measurements" not in data:
        raise ValueError(f"{path} is not a load-test result (no 'measurements')")
    return data


def write_reports(result: LoadResult, folder: Path) -> list[Path]:
    """Write the JSON, the two CSV tables and the HTML report into `folder`."""
    from loadtests.report_html import render_html

    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / JSON_NAME, folder / SCORECARD_CSV, folder / TIMELINE_CSV, folder / HTML_NAME]
    paths[0].write_text(json.dumps(result.to_json(), indent=2))
    with paths[1].open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["region", "threshold", "measured", "result"])
        for row in result.scorecard:
            writer.writerow(["all", row["threshold"], row["measured"], row["result"]])
        for region, rows in result.region_scorecards.items():
            for row in rows:
                writer.writerow([region, row["threshold"], row["measured"], row["result"]])
    with paths[2].open("w", newline="") as handle:
        columns = list(Window.__dataclass_fields__)
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for point in result.timeline:
            writer.writerow({c: point.get(c) for c in columns})
    paths[3].write_text(render_html(result.to_json()))
    return paths


def scorecard_text(document: dict[str, Any]) -> str:
    """The scorecard of a saved result as a plain-text table."""
    rows = [("threshold", "measured", "result")] + [
        (r["threshold"], r["measured"], r["result"]) for r in document["scorecard"]
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


__all__ = ["LoadResult", "build_result", "load_result", "render_table", "write_reports"]
