"""Audit of real S3 server access logs written by a moto server: injected anomalies flagged.

Logging is configured with the LogDelivery grant on the target; every request to the source
bucket then becomes a log object. moto logs no requester, so each simulated user is an SDK
client with its own app id (`app/<name>` in the user agent). Traffic runs in rounds, one
per second (the detector window here), so every user has a baseline of their own.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from typer.testing import CliRunner

from analytics.audit_report import audit
from analytics.cli import audit_app
from analytics.detectors import AuditThresholds
from analytics.log_sources import inventory, read_bucket

pytestmark = pytest.mark.integration

LOG_DELIVERY = "http://acs.amazonaws.com/groups/s3/LogDelivery"
NORMAL = ("alice", "bob", "dave")
ROUNDS = 12
THRESHOLDS = AuditThresholds(window_seconds=1, min_downloads=5, min_deletes=10)
"""One-second windows, one download per user per window. moto with logging serves 10-30
requests/s on a busy machine, so the burst spans a few windows at 5x+ the baseline, and far
fewer windows than the baseline rounds (the median stays the baseline)."""


def client(endpoint: str, app: str):  # type: ignore[no-untyped-def]
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(user_agent_appid=app),
    )


def enable_logging(s3, source: str, target: str, prefix: str) -> None:  # type: ignore[no-untyped-def]
    acl = s3.get_bucket_acl(Bucket=target)
    grants = acl["Grants"] + [
        {"Grantee": {"Type": "Group", "URI": LOG_DELIVERY}, "Permission": permission}
        for permission in ("WRITE", "READ_ACP")
    ]
    s3.put_bucket_acl(Bucket=target, AccessControlPolicy={"Grants": grants, "Owner": acl["Owner"]})
    s3.put_bucket_logging(
        Bucket=source,
        BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": target, "TargetPrefix": prefix}},
    )


def next_second() -> None:
    time.sleep(1.05 - time.time() % 1.0)


@pytest.fixture(scope="module")
def traffic(moto_endpoint: str) -> dict[str, str]:
    """Normal rounds of downloads, then a mass download (mallory) and a mass delete (trent)."""
    suffix = uuid.uuid4().hex[:8]
    source, logs = f"audit-src-{suffix}", f"audit-logs-{suffix}"
    admin = client(moto_endpoint, "admin")
    admin.create_bucket(Bucket=source)
    admin.create_bucket(Bucket=logs)
    for i in range(200):
        admin.put_object(Bucket=source, Key=f"tracks/{i:03d}.mp3", Body=bytes([i]) * 2048)
    enable_logging(admin, source, logs, f"access-logs/{source}/")
    users = {name: client(moto_endpoint, name) for name in (*NORMAL, "mallory", "trent")}
    for round_number in range(ROUNDS):
        next_second()
        for index, s3 in enumerate(users.values()):
            key = f"tracks/{(round_number * 5 + index) % 100:03d}.mp3"
            s3.get_object(Bucket=source, Key=key)["Body"].read()
        if round_number == 6:
            for i in range(80):
                users["mallory"].get_object(Bucket=source, Key=f"tracks/{i % 100:03d}.mp3")
        if round_number == 8:
            for i in range(100, 140):
                users["trent"].delete_object(Bucket=source, Key=f"tracks/{i:03d}.mp3")
    return {"source": source, "logs": logs, "endpoint": moto_endpoint}


def test_injected_mass_download_and_mass_delete_are_flagged(traffic: dict[str, str]) -> None:
    s3 = client(traffic["endpoint"], "auditor")
    parsed = read_bucket(s3, traffic["logs"], f"access-logs/{traffic['source']}/")
    assert parsed.malformed == []
    assert parsed.dialects["moto"] == len(parsed.records) == ROUNDS * 5 + 80 + 40
    report = audit(
        parsed, AuditThresholds(window_seconds=1), sizes=inventory(s3, [traffic["source"]])
    )
    by_kind: dict[str, set[str]] = {}
    for anomaly in report.anomalies:
        by_kind.setdefault(anomaly.kind, set()).add(anomaly.subject)
    assert by_kind.get("download-volume") == {"app/mallory"}
    assert by_kind.get("mass-delete") == {"app/trent"}
    flagged = {anomaly.subject for anomaly in report.anomalies}
    assert not flagged & {f"app/{name}" for name in NORMAL}
    assert report.deletes_total == 40
    assert any(row[0] == "app/mallory" and row[5] > 0 for row in report.access)


def test_audit_cli_reads_the_logs_bucket(traffic: dict[str, str], tmp_path: Path) -> None:
    result = CliRunner().invoke(
        audit_app,
        [
            "report", "--stack", "local", "--endpoint", traffic["endpoint"],
            "--bucket", traffic["logs"], "--prefix", f"access-logs/{traffic['source']}/",
            "--window-seconds", "1", "--min-downloads", "5", "--min-deletes", "10",
            "--parquet", str(tmp_path / "access.parquet"),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "mass-delete" in result.output and "app/trent" in result.output
    assert "download-volume" in result.output and "app/mallory" in result.output
    assert (tmp_path / "access.parquet").stat().st_size > 0
