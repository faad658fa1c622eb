"""`mediainfra drill ...` end to end against moto (explicit endpoint, no local stack state)."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from typer.testing import CliRunner

from mediainfra.cli import build_app
from stacks.settings import Settings

pytestmark = pytest.mark.integration


def _invoke(args: list[str]):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(build_app(args), args)


@pytest.fixture
def local_masters(moto_endpoint: str, local_settings: Settings) -> str:
    s3 = boto3.client(
        "s3",
        endpoint_url=moto_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    bucket = local_settings.bucket_name("masters")
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    if bucket not in names:
        s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    return bucket


def test_pitr_cli_prints_the_scorecard_and_records_history(
    moto_endpoint: str, local_masters: str, tmp_path: Path
):
    reports = tmp_path / "reports"
    common = ["drill", "--reports-dir", str(reports), "--state-file", str(tmp_path / "none.json")]
    result = _invoke(
        [
            *common,
            "pitr",
            "--stack",
            "local",
            "--prefix",
            "cli-drill/",
            "--seed",
            "5",
            "--endpoint-url",
            moto_endpoint,
        ]
    )
    assert result.exit_code == 0, result.output
    assert "RTO" in result.output and "RPO" in result.output and "passed" in result.output
    (entry,) = [json.loads(line) for line in (reports / "history.jsonl").read_text().splitlines()]
    assert entry["status"] == "passed" and entry["verified"] == 5

    dry = _invoke(
        [*common, "--dry-run", "pitr", "--prefix", "cli-drill/", "--endpoint-url", moto_endpoint]
    )
    assert dry.exit_code == 0, dry.output
    assert "[dry-run]" in dry.output
    assert len((reports / "history.jsonl").read_text().splitlines()) == 1


def test_without_a_running_local_stack_the_cli_says_what_to_do(tmp_path: Path):
    result = _invoke(["drill", "--state-file", str(tmp_path / "none.json"), "pitr"])
    assert result.exit_code == 2
    assert "mediainfra local up" in result.output


def test_partial_needs_a_prefix():
    result = _invoke(["drill", "partial"])
    assert result.exit_code != 0
    assert "--prefix" in result.output
