"""Audit of CloudTrail log files delivered into a logs bucket on a moto server.

The files sit where the stack's trail delivers them (`cloudtrail/AWSLogs/<account>/CloudTrail/
<region>/YYYY/MM/DD/*.json.gz`, digests next to them under `CloudTrail-Digest/`), beside S3
server access logs under `access-logs/`; `mediainfra audit report` reads both from the bucket.
"""

from __future__ import annotations

import gzip
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from typer.testing import CliRunner

from analytics.access_log import AccessRecord, format_line
from analytics.cli import audit_app
from analytics.log_sources import read_cloudtrail

pytestmark = pytest.mark.integration

ACCOUNT = "111122223333"
START = datetime(2026, 3, 1, tzinfo=UTC)
MEDIA = "media-masters-it"


def event(name: str, user: str, hour: float, key: str | None, **extra: Any) -> dict[str, Any]:
    params: dict[str, Any] = {"bucketName": MEDIA, "Host": f"{MEDIA}.s3.amazonaws.com"}
    if key is not None:
        params["key"] = key
    return {
        "eventVersion": "1.11",
        "userIdentity": {
            "type": "IAMUser",
            "principalId": f"AIDA{user.upper()}",
            "arn": f"arn:aws:iam::{ACCOUNT}:user/{user}",
            "accountId": ACCOUNT,
        },
        "eventTime": (START + timedelta(hours=hour)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": "s3.amazonaws.com",
        "eventName": name,
        "awsRegion": "eu-west-1",
        "sourceIPAddress": extra.pop("ip", "198.51.100.7"),
        "userAgent": "[Boto3/1.35.36]",
        "requestParameters": params,
        "responseElements": None,
        "additionalEventData": {"bytesTransferredIn": 0, "bytesTransferredOut": 1000},
        "requestID": uuid.uuid4().hex[:16].upper(),
        "eventID": str(uuid.uuid4()),
        "readOnly": name.startswith("Get"),
        "resources": [{"type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{MEDIA}"}],
        "eventType": "AwsApiCall",
        "managementEvent": key is None,
        "recipientAccountId": ACCOUNT,
        **extra,
    }


def access_line(user: str, hour: float, key: str) -> str:
    return format_line(
        AccessRecord(
            "owner", MEDIA, START + timedelta(hours=hour), "10.0.0.1",
            f"arn:aws:iam::{ACCOUNT}:user/{user}", f"R{uuid.uuid4().hex[:12]}",
            "REST.GET.OBJECT", key, f"GET /{key} HTTP/1.1", 200, None, 1000, 1000, 5, 4,
            None, "Boto3/1.35",
        )
    )  # fmt: skip


@pytest.fixture(scope="module")
def logs_bucket(moto_endpoint: str) -> str:
    """Access logs for 24 h of normal reads; CloudTrail: normal reads, a policy change, a
    mass delete (trent), a burst of AccessDenied (eve), a digest and a truncated file."""
    s3 = boto3.client(
        "s3", endpoint_url=moto_endpoint, region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )  # fmt: skip
    bucket = f"audit-trail-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    users = ("alice", "bob", "carol")
    lines = [
        access_line(u, h + n / 10, f"{u}/{n}.mp3")
        for h in range(24)
        for u in users
        for n in range(3)
    ]
    s3.put_object(Bucket=bucket, Key=f"access-logs/{MEDIA}/2026-03-01", Body="\n".join(lines))
    root = f"cloudtrail/AWSLogs/{ACCOUNT}"
    day = "eu-west-1/2026/03/01"
    for hour in range(24):
        events = [event("GetObject", u, hour + 0.5, f"{u}/t.mp3") for u in users]
        if hour == 6:
            events.append(event("PutBucketPolicy", "ops", 6.2, None, readOnly=False))
        if hour == 9:
            events += [event("DeleteObject", "trent", 9 + i / 1000, f"x/{i}") for i in range(40)]
        if hour == 15:
            events += [
                event("GetObject", "eve", 15 + i / 100, f"p/{i}", errorCode="AccessDenied",
                      errorMessage="Access Denied", ip="203.0.113.66")
                for i in range(30)
            ]  # fmt: skip
        body = gzip.compress(json.dumps({"Records": events}).encode())
        name = f"{ACCOUNT}_CloudTrail_eu-west-1_20260301T{hour:02d}00Z_{hour:04d}.json.gz"
        s3.put_object(Bucket=bucket, Key=f"{root}/CloudTrail/{day}/{name}", Body=body)
    digest = json.dumps({"digestStartTime": "2026-03-01T00:00:00Z", "logFiles": []}).encode()
    key = f"{root}/CloudTrail-Digest/{day}/digest.json.gz"
    s3.put_object(Bucket=bucket, Key=key, Body=gzip.compress(digest))
    cut = gzip.compress(b'{"Records": [')[:20]
    s3.put_object(Bucket=bucket, Key=f"{root}/CloudTrail/{day}/cut.json.gz", Body=cut)
    return bucket


def test_cloudtrail_objects_are_read_from_the_bucket(logs_bucket: str, moto_endpoint: str) -> None:
    s3 = boto3.client(
        "s3", endpoint_url=moto_endpoint, region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )  # fmt: skip
    parsed = read_cloudtrail(f"s3://{logs_bucket}/cloudtrail/", s3)
    assert parsed.dialects == {"cloudtrail": 24 * 3 + 1 + 40 + 30}
    assert [where.rsplit("/", 1)[-1] for where, _ in parsed.malformed] == ["cut.json.gz"]


def test_audit_report_covers_both_sources_of_the_logs_bucket(
    logs_bucket: str, moto_endpoint: str
) -> None:
    result = CliRunner().invoke(
        audit_app,
        ["report", "--stack", "local", "--endpoint", moto_endpoint, "--bucket", logs_bucket,
         "--prefix", "access-logs/", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["sources"] == {
        "access-log": {"records": 24 * 3 * 3, "malformed": 0},
        "cloudtrail": {"records": 24 * 3 + 71, "malformed": 1, "skipped": 0, "duplicates": 0},
    }
    assert [row[3] for row in report["policy_changes"]] == ["REST.PUT.BUCKETPOLICY"]
    flagged = {(a["kind"], a["subject"]) for a in report["anomalies"]}
    assert ("mass-delete", f"arn:aws:iam::{ACCOUNT}:user/trent") in flagged
    assert ("forbidden-spike", f"arn:aws:iam::{ACCOUNT}:user/eve") in flagged
    normal = {f"arn:aws:iam::{ACCOUNT}:user/{u}" for u in ("alice", "bob", "carol")}
    assert not {subject for _, subject in flagged} & normal
