"""A per-test image stack on the moto server: its own derivatives and masters buckets."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from stacks.settings import BucketRole, Settings


@pytest.fixture
def image_stack(local_settings: Settings, s3: Any) -> Settings:
    """The local settings under a unique stack name, with its image buckets created."""
    settings = local_settings.model_copy(update={"stack": f"img-{uuid.uuid4().hex[:10]}"})
    for role in (BucketRole.MASTERS, BucketRole.DERIVATIVES):
        s3.create_bucket(Bucket=settings.bucket_name(role))
    return settings
