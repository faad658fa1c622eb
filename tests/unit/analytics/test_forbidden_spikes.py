"""The 403 spike detector on injected access-log lines and CloudTrail AccessDenied records.

A burst of 403s from one principal/IP against a quiet baseline is flagged and named after
that principal; a steady low rate of 403s is not.
"""

from __future__ import annotations

import audit_logs
import cloudtrail_events
from audit_logs import record
from cloudtrail_events import log_file, s3_event

from analytics.access_log import format_line, parse_lines
from analytics.cloudtrail import parse_file
from analytics.detectors import AuditThresholds, forbidden_spikes
from analytics.log_sources import combine
from analytics.log_store import AccessLogStore

T = AuditThresholds()
EVE = "arn:aws:iam::1:user/eve"
EVE_TRAIL = f"arn:aws:iam::{cloudtrail_events.ACCOUNT}:user/eve"


def store_of_lines(lines: list[str]) -> AccessLogStore:
    parsed = parse_lines(lines, source="day.log")
    assert parsed.malformed == []
    store = AccessLogStore()
    store.add(parsed.records)
    return store


def store_of_trail(events: list) -> AccessLogStore:  # type: ignore[type-arg]
    parsed = parse_file(log_file(events), source="trail.json.gz")
    assert parsed.malformed == []
    store = AccessLogStore()
    store.add(parsed.records)
    return store


def access_log_day(extra: list) -> list[str]:  # type: ignore[type-arg]
    return [format_line(r) for r in audit_logs.normal_day() + extra]


def test_a_burst_of_403_lines_from_one_principal_is_flagged() -> None:
    burst = [
        record("eve", 9 + i / 100, status=403, key=f"p{i}", ip="203.0.113.66") for i in range(30)
    ]
    found = forbidden_spikes(store_of_lines(access_log_day(burst)), T)
    assert [(a.kind, a.subject, a.window_start.hour, a.value) for a in found] == [
        ("forbidden-spike", EVE, 9, 30.0)
    ]
    assert "30 by arn:aws:iam::1:user/eve from 203.0.113.66" in found[0].detail


def test_a_steady_low_rate_of_403_lines_is_not_flagged() -> None:
    steady = [
        record("dave", h + i / 10, status=403, key=f"d{h}{i}") for h in range(24) for i in range(3)
    ]
    assert forbidden_spikes(store_of_lines(access_log_day(steady)), T) == []


def test_a_burst_of_cloudtrail_access_denied_is_flagged() -> None:
    burst = [
        s3_event(
            "GetObject", "eve", 14 + i / 100, key=f"p{i}", error="AccessDenied", ip="203.0.113.66"
        )
        for i in range(25)
    ]
    found = forbidden_spikes(store_of_trail(cloudtrail_events.normal_day() + burst), T)
    assert [(a.subject, a.window_start.hour, a.value) for a in found] == [(EVE_TRAIL, 14, 25.0)]
    assert "from 203.0.113.66" in found[0].detail


def test_a_steady_low_rate_of_access_denied_is_not_flagged() -> None:
    steady = [
        s3_event("GetObject", "dave", h + i / 10, key=f"d{h}{i}", error="AccessDenied")
        for h in range(24)
        for i in range(2)
    ]
    store = store_of_trail(cloudtrail_events.normal_day() + steady)
    assert store.rows("SELECT count(*) FROM access WHERE http_status = 403")[0][0] == 48
    assert forbidden_spikes(store, T) == []


def test_a_burst_split_between_the_sources_is_one_spike() -> None:
    """Access logs of one bucket, CloudTrail of another: the 403s add up per window."""
    lines = parse_lines(
        access_log_day([record("eve", 20 + i / 100, status=403, key=f"a{i}") for i in range(6)])
    )
    trail = parse_file(
        log_file(
            [
                s3_event("GetObject", "eve", 20.5, key=f"c{i}", error="AccessDenied")
                for i in range(6)
            ]
        )
    )
    store = AccessLogStore()
    store.add(combine(lines, trail).records)
    found = forbidden_spikes(store, T)
    assert [(a.window_start.hour, a.value) for a in found] == [(20, 12.0)]
