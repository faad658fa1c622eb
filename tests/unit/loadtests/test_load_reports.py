"""Reports (JSON, CSV, HTML with SVG plots) and the regression comparison."""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET
from pathlib import Path

from typer.testing import CliRunner

from loadtests.compare import compare, direction, regressions
from loadtests.recorder import Recorder
from loadtests.report import build_result, write_reports
from loadtests.sla import evaluate, parse_thresholds
from loadtests.timeline import Window
from mediainfra.cli import build_app


def _result(first_byte_ms: float = 40.0, mb: int = 10):  # type: ignore[no-untyped-def]
    recorder = Recorder(region="us")
    for _ in range(20):
        recorder.sample("first_byte", first_byte_ms)
        recorder.sample("download", 500.0, nbytes=mb * 1024**2)
        recorder.cache_status("HIT")
    recorder.region = "eu"
    recorder.sample("first_byte", first_byte_ms * 2)
    recorder.cache_status("MISS")
    thresholds = parse_thresholds("p95 first_byte < 100ms; value hit_ratio >= 99%")
    timeline = [
        Window(
            t=float(t),
            rps=10.0 + t,
            mb_per_s=2.0,
            failures_per_s=0.0,
            hit_ratio=90.0,
            p50_first_byte=10.0,
            p95_first_byte=30.0 + t,
            p99_first_byte=None,
        )
        for t in range(0, 10, 2)
    ]
    return build_result(
        stack="local",
        host="http://127.0.0.1:1",
        shape="steady",
        started=0.0,
        finished=10.0,
        verdicts=evaluate(thresholds, recorder.measurements()),
        recorder=recorder,
        timeline=timeline,
    )


def test_reports_are_written_and_consistent(tmp_path: Path):
    result = _result()
    paths = write_reports(result, tmp_path)
    document = json.loads((tmp_path / "loadtest.json").read_text())
    assert document["passed"] is False
    assert [r["result"] for r in document["scorecard"]] == ["pass", "FAIL"]
    assert set(document["regions"]) == {"us", "eu"}
    assert document["region_scorecards"]["eu"][0]["measured"] == "80.00ms"
    rows = list(csv.DictReader((tmp_path / "scorecard.csv").open()))
    assert {r["region"] for r in rows} == {"all", "us", "eu"}
    timeline = list(csv.DictReader((tmp_path / "timeline.csv").open()))
    assert len(timeline) == 5 and timeline[-1]["p95_first_byte"] == "38.0"
    html = (tmp_path / "report.html").read_text()
    assert len(paths) == 4 and "FAILED" in html and "By region" in html
    svgs = html.count("<svg")
    assert svgs == 3
    for chunk in html.split("<svg")[1:]:
        ET.fromstring("<svg" + chunk.split("</svg>")[0] + "</svg>")  # well-formed
    assert "polyline" in html and "First-byte latency percentiles" in html


def test_compare_flags_regressions_beyond_tolerance():
    base, new = _result().to_json(), _result(first_byte_ms=60.0, mb=5).to_json()
    flagged = {c.measurement for c in regressions(compare(base, new), 0.2)}
    assert "p95 first_byte" in flagged and "avg download" in flagged
    assert regressions(compare(base, base), 0.0) == []
    assert direction("value requests") is None and direction("value hit_ratio") is True
    assert direction("p95 x") is False


def test_compare_cli_exit_codes(tmp_path: Path):
    base, new = tmp_path / "base.json", tmp_path / "new.json"
    base.write_text(json.dumps(_result().to_json()))
    new.write_text(json.dumps(_result(first_byte_ms=60.0).to_json()))

    def run(*args: str):  # type: ignore[no-untyped-def]
        argv = ["load", "compare", *args]
        return CliRunner().invoke(build_app(argv), argv)

    assert run(str(base), str(base)).exit_code == 0
    regressed = run(str(base), str(new), "--tolerance", "0.2")
    assert regressed.exit_code == 1 and "REGRESSION" in regressed.output
    assert run(str(base), str(new), "--tolerance", "1.0").exit_code == 0
    bad = run(str(base), str(tmp_path / "missing.json"))
    assert bad.exit_code == 2 and "cannot read" in bad.output
