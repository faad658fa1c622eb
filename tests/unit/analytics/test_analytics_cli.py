"""The analytics CLI apps, driven through Typer's runner."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from analytics.cli import corpus_app

runner = CliRunner()


def test_corpus_generate_refuses_an_unknown_size(tmp_path: Path) -> None:
    result = runner.invoke(corpus_app, ["generate", "--size", "HUGE", "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert "unknown corpus size" in result.output
    assert not (tmp_path / "manifest.json").exists()


def test_audit_report_reads_a_log_folder_and_counts_bad_lines(tmp_path: Path) -> None:
    import json

    from audit_logs import normal_day, record

    from analytics.access_log import format_line
    from analytics.cli import audit_app

    lines = [format_line(r) for r in normal_day()]
    lines += [format_line(record("ops", 30, "REST.DELETE.BUCKETPOLICY", key="-"))]
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "2026-03-01.log").write_text("\n".join(lines) + "\nnot a log line\n")
    result = runner.invoke(audit_app, ["report", "--logs", str(tmp_path / "logs"), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["records"] == len(lines)
    assert len(report["malformed"]) == 1
    assert [row[3] for row in report["policy_changes"]] == ["REST.DELETE.BUCKETPOLICY"]
    missing = runner.invoke(audit_app, ["report", "--logs", str(tmp_path / "nope")])
    assert missing.exit_code == 1 and "no such log folder" in missing.output


def test_cost_default_workload_is_found_from_anywhere(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import typer

    from analytics.cli import cost

    monkeypatch.chdir(tmp_path)
    app = typer.Typer()
    app.command()(cost)
    result = runner.invoke(app, ["--stack", "prod"])
    assert result.exit_code == 0, result.output
    assert "with all optimisations" in result.output
