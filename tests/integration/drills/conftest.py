"""Drill fixtures: a versioned copy of the stack's buckets on the session's moto server."""

from __future__ import annotations

import uuid
from pathlib import Path

import boto3
import pytest

from drills.runner import DrillContext
from stacks.settings import Settings


@pytest.fixture
def drill_settings(local_settings: Settings) -> Settings:
    """The local settings under a stack name of its own (its own bucket names)."""
    return local_settings.model_copy(update={"stack": f"drill{uuid.uuid4().hex[:8]}"})


@pytest.fixture
def drill_s3(moto_endpoint: str, drill_settings: Settings):  # type: ignore[no-untyped-def]
    s3 = boto3.client(
        "s3",
        endpoint_url=moto_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    for role in ("masters", "derivatives"):
        name = drill_settings.bucket_name(role)
        s3.create_bucket(Bucket=name)
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return s3


@pytest.fixture
def drill_context(drill_settings: Settings, drill_s3, tmp_path: Path) -> DrillContext:  # type: ignore[no-untyped-def]
    return DrillContext(
        settings=drill_settings, s3=drill_s3, reports_dir=tmp_path / "reports", echo=lambda _: None
    )
