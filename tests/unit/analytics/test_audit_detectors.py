"""Audit detectors on synthetic AWS-format logs: each must fire on its anomaly, and only there."""

from __future__ import annotations

import numpy as np
from audit_logs import normal_day, record

from analytics.access_log import format_line, parse_lines
from analytics.audit_report import build_report, render_text
from analytics.detectors import (
    AuditThresholds,
    detect_all,
    download_volume,
    forbidden_spikes,
    mass_deletes,
    robust_z,
    unusual_actors,
)
from analytics.log_store import AccessLogStore

T = AuditThresholds()


def store_of(records: list) -> AccessLogStore:  # type: ignore[type-arg]
    store = AccessLogStore()
    store.add(records)
    return store


def test_robust_z_ignores_the_outlier_it_scores() -> None:
    median, _, z = robust_z(np.array([4.0, 5, 5, 6, 5, 400]))
    assert median == 5.0
    assert z[-1] > 100 and abs(z[0]) < 2
    assert robust_z(np.zeros(5))[1] == 1.0  # no spread: the floor, never a division by zero
    assert robust_z(np.full(9, 16.0), floor=4.0)[2].tolist() == [0.0] * 9


def test_normal_traffic_raises_nothing() -> None:
    assert detect_all(store_of(normal_day()), T) == []


def test_a_mass_download_is_flagged_for_that_user_and_hour_only() -> None:
    burst = [record("bob", 13 + i / 1000, key=f"x/{i}") for i in range(200)]
    found = download_volume(store_of(normal_day() + burst), T)
    assert [(a.subject, a.window_start.hour) for a in found] == [("arn:aws:iam::1:user/bob", 13)]
    assert found[0].value == 200 + 3 + (13 + 1) % 3


def test_a_heavy_but_steady_user_is_not_flagged() -> None:
    steady = [record("dave", h + i / 1000, key=f"d/{i}") for h in range(24) for i in range(150)]
    assert download_volume(store_of(normal_day() + steady), T) == []


def test_mass_delete_is_flagged() -> None:
    deletes = [record("carol", 20 + i / 1000, "REST.DELETE.OBJECT", f"k{i}") for i in range(60)]
    stray = [record("alice", 5, "REST.DELETE.OBJECT", "one")]
    found = mass_deletes(store_of(normal_day() + deletes + stray), T)
    assert [(a.subject, a.value) for a in found] == [("arn:aws:iam::1:user/carol", 60.0)]


def test_unusual_principal_and_ip_are_flagged() -> None:
    intruder = [record("mallory", 7.5, ip="203.0.113.9")]
    found = unusual_actors(store_of(normal_day() + intruder), T)
    assert {(a.kind, a.subject) for a in found} == {
        ("unusual-principal", "arn:aws:iam::1:user/mallory"),
        ("unusual-ip", "203.0.113.9"),
    }
    known = {f"arn:aws:iam::1:user/{u}" for u in ("alice", "bob")}
    flagged = {a.subject for a in unusual_actors(store_of(normal_day()), T, known)}
    assert flagged == {"arn:aws:iam::1:user/carol"}


def test_forbidden_spike_is_flagged() -> None:
    background = [record("alice", h, status=403, key="nope") for h in range(0, 24, 6)]
    spike = [record("eve", 9 + i / 100, status=403, key=f"p{i}") for i in range(40)]
    found = forbidden_spikes(store_of(normal_day() + background + spike), T)
    assert [(a.window_start.hour, a.value) for a in found] == [(9, 40.0)]


def test_report_lists_deletes_policy_changes_and_malformed_lines() -> None:
    lines = [format_line(r) for r in normal_day()]
    lines += [format_line(record("ops", 3, "REST.PUT.BUCKETPOLICY", key="-", size=None))]
    lines += [format_line(record("ops", 4, "REST.DELETE.OBJECT", key="old.wav"))]
    lines += ["this is not a log line"]
    parsed = parse_lines(lines, source="day.log")
    store = store_of(parsed.records)
    report = build_report(store, parsed, T)
    assert report.deletes_total == 1
    assert [row[3] for row in report.policy_changes] == ["REST.PUT.BUCKETPOLICY"]
    assert [where for where, _ in report.malformed] == [f"day.log:{len(lines)}"]
    text = render_text(report)
    assert "policy changes: 1" in text and "1 malformed lines" in text
    assert "s3://media-masters-local/old.wav" in text


def test_store_exports_parquet(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = store_of(normal_day(hours=2))
    store.export_parquet(tmp_path / "access.parquet")
    again = AccessLogStore()
    count = again.rows(f"SELECT count(*) FROM '{tmp_path / 'access.parquet'}'")[0][0]
    assert count == store.count() > 0


def test_a_mass_delete_split_over_windows_is_one_run() -> None:
    deletes = [record("carol", 20 + i * 0.05, "REST.DELETE.OBJECT", f"k{i}") for i in range(60)]
    found = mass_deletes(store_of(normal_day() + deletes), T)
    assert [(a.value, a.window_start.hour) for a in found] == [(60.0, 20)]


def test_regular_cleanups_are_not_a_mass_delete() -> None:
    cleanups = [
        record("ops", day * 24 + 2 + i / 100, "REST.DELETE.OBJECT", f"tmp/{day}/{i}")
        for day in range(5)
        for i in range(30)
    ]
    assert mass_deletes(store_of(normal_day(hours=120) + cleanups), T) == []
