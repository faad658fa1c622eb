"""Drill report status, Markdown rendering and history."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from drills.report import DrillReport, read_history, write_report

BASE = DrillReport(
    drill_id="d1",
    kind="pitr",
    stack="local",
    bucket="b",
    prefix="",
    target_bucket="b",
    point="2026-01-01T00:00:00+00:00",
    incident="mixed",
    incident_started_at="t",
    finished_at="t2",
    damage={"deleted": 2, "overwritten": 1, "purged": 0},
    manifest_objects=5,
    manifest_bytes=50,
    copied=3,
    deleted=0,
    verified=5,
    missing=[],
    different=[],
    writes_during=0,
    rto_seconds=2.0,
    rpo_seconds=1.0,
    rto_target_seconds=900,
    rpo_target_seconds=300,
)


def test_status_follows_verification_and_targets():
    assert BASE.status == "passed"
    assert replace(BASE, missing=["k"], verified=4).status == "failed"
    assert replace(BASE, different=["k"]).status == "failed"
    assert replace(BASE, rto_seconds=901.0).status == "sla-missed"
    assert replace(BASE, rpo_seconds=None).status == "sla-missed"
    assert replace(BASE, dry_run=True).status == "dry-run"


def test_markdown_names_the_failures():
    text = replace(BASE, missing=["a/1.bin"], verified=4).to_markdown()
    assert "FAILED" in text and "`a/1.bin`" in text and "| RTO" in text and "4" in text


def test_history_appends_one_line_per_drill(tmp_path: Path):
    write_report(BASE, tmp_path)
    write_report(replace(BASE, drill_id="d2", missing=["x"]), tmp_path)
    history = read_history(tmp_path)
    assert [(h["drill_id"], h["status"]) for h in history] == [("d1", "passed"), ("d2", "failed")]
    assert (tmp_path / "d2.md").read_text().startswith("# Restore drill d2")
