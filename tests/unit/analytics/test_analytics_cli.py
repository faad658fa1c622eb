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


def test_audit_report_covers_access_logs_and_cloudtrail(tmp_path: Path) -> None:
    import json

    from audit_logs import normal_day
    from cloudtrail_events import START, delivery_key, iam_event, log_file, s3_event

    from analytics.access_log import format_line
    from analytics.cli import audit_app

    (tmp_path / "logs").mkdir()
    lines = [format_line(r) for r in normal_day()]
    (tmp_path / "logs" / "day.log").write_text("\n".join(lines) + "\nnot a log line\n")
    trail = tmp_path / "trail" / delivery_key(START, 1)
    trail.parent.mkdir(parents=True)
    deletes = [s3_event("DeleteObject", "trent", 5 + i / 1000, key=f"k{i}") for i in range(40)]
    changes = [
        s3_event("PutBucketPolicy", "ops", 3, key=None),
        iam_event("PutRolePolicy", "ops", 4, roleName="worker", policyName="p"),
    ]
    trail.write_bytes(log_file(deletes + changes + ["junk"]))
    (trail.parent / "truncated.json.gz").write_bytes(log_file(deletes)[:30])
    args = ["report", "--logs", str(tmp_path / "logs"), "--cloudtrail", str(tmp_path / "trail")]
    result = runner.invoke(audit_app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["sources"] == {
        "access-log": {"records": len(lines), "malformed": 1},
        "cloudtrail": {"records": 42, "malformed": 2, "skipped": 0, "duplicates": 0},
    }
    assert report["records"] == len(lines) + 42
    assert [row[3] for row in report["policy_changes"]] == [
        "REST.PUT.BUCKETPOLICY",
        "IAM.PutRolePolicy",
    ]
    assert report["deletes_total"] == 40
    flagged = {(a["kind"], a["subject"]) for a in report["anomalies"]}
    assert ("mass-delete", "arn:aws:iam::111122223333:user/trent") in flagged
    assert not {s for _, s in flagged} & {f"arn:aws:iam::1:user/{u}" for u in ("alice", "bob")}
    text = runner.invoke(audit_app, args)
    assert text.exit_code == 0, text.output
    assert f"access logs: {len(lines)} records, 1 malformed lines" in text.output
    assert "cloudtrail:  42 events, 2 malformed files/records" in text.output
    nothing = runner.invoke(audit_app, ["report", "--no-access-logs"])
    assert nothing.exit_code == 1 and "nothing to audit" in nothing.output
