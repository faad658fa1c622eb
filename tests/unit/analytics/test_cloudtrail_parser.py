"""CloudTrail log files -> audit records: fields, statuses, policy changes, malformed input."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from audit_logs import record
from cloudtrail_events import (
    ACCOUNT,
    BUCKET,
    START,
    delivery_key,
    iam_event,
    log_file,
    s3_event,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics import cloudtrail, log_sources
from analytics.access_log import ParseResult
from analytics.audit_report import audit, render_text
from analytics.cloudtrail import MalformedRecordError, parse_file, record_of, status_of


def test_a_get_object_data_event_becomes_an_access_record() -> None:
    event = s3_event("GetObject", "alice", 2.5, key="user-01/a b/track.mp3", bytes_out=339117)
    got = record_of(event)
    assert got is not None
    assert got.operation == "REST.GET.OBJECT"
    assert (got.bucket, got.key) == (BUCKET, "user-01/a b/track.mp3")
    assert got.requester == got.principal == f"arn:aws:iam::{ACCOUNT}:user/alice"
    assert got.time == datetime(2026, 3, 1, 2, 30, tzinfo=UTC)
    assert (got.remote_ip, got.http_status, got.error_code) == ("198.51.100.7", 200, None)
    assert got.bytes_sent == 339117 and got.object_size is None
    assert got.request_id == event["requestID"] and got.bucket_owner == ACCOUNT
    assert got.user_agent is not None and got.user_agent.startswith("[Boto3/")


def test_access_denied_is_a_403_and_deletes_are_204() -> None:
    denied = record_of(s3_event("GetObject", error="AccessDenied"))
    assert denied is not None and (denied.http_status, denied.error_code) == (403, "AccessDenied")
    deleted = record_of(s3_event("DeleteObject", key="old.wav"))
    assert deleted is not None and (deleted.operation, deleted.http_status) == (
        "REST.DELETE.OBJECT",
        204,
    )
    assert status_of("GetObject", "NoSuchKey") == 404
    assert status_of("PutBucketPolicy", "MalformedPolicy") == 400
    assert status_of("DeleteObjects", None) == 200


def test_uploads_identities_and_batch_deletes() -> None:
    put = record_of(s3_event("PutObject", key="in/x.wav", bytes_in=5000))
    assert put is not None and (put.operation, put.object_size, put.bytes_sent) == (
        "REST.PUT.OBJECT",
        5000,
        0,
    )
    role = record_of(s3_event("HeadObject", "worker", identity="AssumedRole"))
    assert role is not None
    assert role.principal == f"arn:aws:sts::{ACCOUNT}:assumed-role/worker/session-worker"
    anonymous = record_of(s3_event("GetObject", identity="Anonymous", ip="192.0.2.9"))
    assert anonymous is not None and anonymous.principal == "anonymous@192.0.2.9"
    batch = record_of(s3_event("DeleteObjects", key=None, extra_params={"delete": ""}))
    assert batch is not None and (batch.operation, batch.key) == (
        "REST.POST.MULTI_OBJECT_DELETE",
        None,
    )


POLICY_CHANGES = [
    s3_event("PutBucketPolicy", "ops", 1, key=None, extra_params={"bucketPolicy": {}}),
    s3_event("DeleteBucketPolicy", "ops", 2, key=None),
    s3_event("PutBucketAcl", "ops", 3, key=None, extra_params={"AccessControlPolicy": {}}),
    s3_event("PutBucketPublicAccessBlock", "ops", 4, key=None),
    s3_event("DeleteBucketPublicAccessBlock", "ops", 5, key=None, error="AccessDenied"),
    s3_event("PutBucketLifecycle", "ops", 6, key=None),
    s3_event("PutBucketVersioning", "ops", 7, key=None),
    s3_event("PutAccountPublicAccessBlock", "ops", 8, bucket=None, key=None),
    iam_event("PutRolePolicy", "ops", 9, roleName="worker", policyName="read-masters"),
    iam_event("AttachUserPolicy", "ops", 10, userName="eve", policyArn="arn:aws:iam::aws:x"),
]
EXPECTED_OPERATIONS = [
    "REST.PUT.BUCKETPOLICY", "REST.DELETE.BUCKETPOLICY", "REST.PUT.ACL",
    "REST.PUT.PUBLIC_ACCESS_BLOCK", "REST.DELETE.PUBLIC_ACCESS_BLOCK", "REST.PUT.LIFECYCLE",
    "REST.PUT.VERSIONING", "REST.PUT.PUBLIC_ACCESS_BLOCK", "IAM.PutRolePolicy",
    "IAM.AttachUserPolicy",
]  # fmt: skip


def test_policy_changing_management_events_are_policy_changes() -> None:
    reads = [
        s3_event("GetBucketPolicy", "ops", 1.5, key=None),
        iam_event("GetRolePolicy", "ops", 2.5, roleName="worker", policyName="read-masters"),
    ]
    parsed = parse_file(log_file(POLICY_CHANGES + reads), source="trail.json.gz")
    assert parsed.malformed == [] and parsed.skipped == {"cloudtrail iam.amazonaws.com": 1}
    report = audit(parsed)
    assert [row[3] for row in report.policy_changes] == EXPECTED_OPERATIONS
    statuses = {row[3]: row[4] for row in report.policy_changes}
    assert statuses["REST.DELETE.PUBLIC_ACCESS_BLOCK"] == 403
    assert report.policy_changes[8][5] == "roleName=worker policyName=read-masters"
    text = render_text(report)
    assert "policy changes: 10" in text
    assert "roleName=worker policyName=read-masters IAM.PutRolePolicy -> 200" in text
    assert all(row[1] != "-" for row in report.access), "IAM calls are not bucket access"


def test_malformed_files_and_records_are_counted_not_fatal() -> None:
    good = s3_event("GetObject", "alice", 1)
    no_time = {k: v for k, v in s3_event("GetObject").items() if k != "eventTime"}
    bad_time = {**s3_event("GetObject"), "eventTime": "yesterday"}
    no_identity = {k: v for k, v in s3_event("GetObject").items() if k != "userIdentity"}
    no_bucket = s3_event("GetObject", bucket=None)
    bad_bytes = s3_event("GetObject")
    bad_bytes["additionalEventData"]["bytesTransferredOut"] = "lots"
    events = [good, no_time, bad_time, no_identity, no_bucket, bad_bytes, "not a record"]
    parsed = parse_file(log_file(events), source="f.json.gz")
    assert [r.request_id for r in parsed.records] == [good["requestID"]]
    assert [where for where, _ in parsed.malformed] == [f"f.json.gz#{i}" for i in range(1, 7)]
    reasons = " | ".join(why for _, why in parsed.malformed)
    for expected in ("eventTime", "ISO 8601", "userIdentity", "bucketName", "bytes", "object"):
        assert expected in reasons
    assert parsed.malformed_by_format == {"cloudtrail": 6}
    for data, why in (
        (b"\x1f\x8b\x08\x00garbage", "gzip"),
        (b"<html>", "not JSON"),
        (json.dumps({"records": []}).encode(), "Records"),
        (gzip.compress(b"[1, 2]"), "Records"),
    ):
        bad = parse_file(data, source="bad")
        assert bad.records == [] and bad.malformed[0][0] == "bad" and why in bad.malformed[0][1]
    with pytest.raises(MalformedRecordError):
        record_of({"eventSource": "s3.amazonaws.com"})


def test_events_outside_the_audit_are_skipped() -> None:
    ec2 = {**iam_event("DescribeInstances"), "eventSource": "ec2.amazonaws.com"}
    service = {**s3_event("GetObject"), "eventType": "AwsServiceEvent"}
    parsed = parse_file(log_file([ec2, service, s3_event("GetObject")]))
    assert len(parsed.records) == 1 and parsed.malformed == []
    assert parsed.skipped == {"cloudtrail ec2.amazonaws.com": 1, "cloudtrail AwsServiceEvent": 1}


def test_a_delivered_tree_is_read_and_digests_are_ignored(tmp_path: Path) -> None:
    first = tmp_path / delivery_key(START, 1)
    first.parent.mkdir(parents=True)
    first.write_bytes(log_file([s3_event("GetObject", hour=0.1), s3_event("PutObject")]))
    plain = first.with_name("extra.json")
    plain.write_bytes(log_file([s3_event("DeleteObject", key="gone")], gzipped=False))
    digest = tmp_path / f"AWSLogs/{ACCOUNT}/CloudTrail-Digest/eu-west-1/2026/03/01/d.json.gz"
    digest.parent.mkdir(parents=True)
    digest.write_bytes(gzip.compress(json.dumps({"digestStartTime": "x"}).encode()))
    (first.parent / "broken.json.gz").write_bytes(b"\x1f\x8bnope")
    parsed = log_sources.read_cloudtrail(str(tmp_path))
    assert sorted(r.operation for r in parsed.records) == [
        "REST.DELETE.OBJECT", "REST.GET.OBJECT", "REST.PUT.OBJECT",
    ]  # fmt: skip
    assert [Path(where).name for where, _ in parsed.malformed] == ["broken.json.gz"]
    assert parsed.dialects == {"cloudtrail": 3}
    with pytest.raises(FileNotFoundError):
        log_sources.read_cloudtrail(str(tmp_path / "missing"))
    with pytest.raises(ValueError, match="S3 client"):
        log_sources.read_cloudtrail("s3://logs/cloudtrail/")


def test_a_request_in_both_sources_is_counted_once() -> None:
    logged = record("alice", 1, key="t/a.mp3")
    same = s3_event("GetObject", "alice", 1, logged.bucket, "t/a.mp3", request_id=logged.request_id)
    other = s3_event("GetObject", "alice", 1.2, logged.bucket, "t/b.mp3")
    access = ParseResult()
    access.add(logged, "aws")
    both = log_sources.combine(access, parse_file(log_file([same, other])))
    assert [r.key for r in both.records] == ["t/a.mp3", "t/b.mp3"]
    assert both.duplicates == 1
    report = audit(both)
    assert report.sources == {
        "access-log": {"records": 1, "malformed": 0},
        "cloudtrail": {"records": 1, "malformed": 0, "skipped": 0, "duplicates": 1},
    }
    assert "cloudtrail:  1 events, 0 malformed files/records" in render_text(report)


def test_trail_prefix_is_where_the_stack_delivers() -> None:
    from components.storage import CLOUDTRAIL_PREFIX

    assert f"{CLOUDTRAIL_PREFIX}/" == cloudtrail.TRAIL_PREFIX


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
FIELDS = st.sampled_from(
    ["eventTime", "eventSource", "eventName", "userIdentity", "requestParameters",
     "additionalEventData", "errorCode", "eventType", "sourceIPAddress", "resources"]
)  # fmt: skip


@given(st.lists(st.tuples(FIELDS, JSON), max_size=4), st.integers(0, 2), JSON)
@settings(max_examples=150, deadline=None)
def test_any_damage_to_a_record_is_counted_never_raised(
    damage: list,  # type: ignore[type-arg]
    which: int,
    transferred: object,
) -> None:
    events = [
        s3_event("GetObject"),
        s3_event("PutBucketPolicy", key=None),
        iam_event("PutRolePolicy"),
    ]
    events[0]["additionalEventData"]["bytesTransferredOut"] = transferred
    for name, value in damage:
        events[which][name] = value
    parsed = parse_file(log_file(events))
    assert len(parsed.records) + len(parsed.malformed) + sum(parsed.skipped.values()) == 3
    assert all(r.time.tzinfo is not None and r.operation for r in parsed.records)
