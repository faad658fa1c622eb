"""Fixtures for the ingest pipeline: a per-test stack on the moto server, a stopped clamd.

The session clamd, `eicar` and `atomic_dynamodb` come from `tests/integration/workers/conftest.py`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pipeline_harness import Pipeline, UploadsApi, make_pipeline, serve_uploads_api, stack_for_test

from stacks.settings import Settings
from workers.scan.clamd_server import ClamdServer


@pytest.fixture
def pipeline(local_settings: Settings, clamd: ClamdServer, aws_env: str) -> Pipeline:
    return make_pipeline(stack_for_test(local_settings, str(clamd.address)), aws_env)


@pytest.fixture
def stopped_clamd(tmp_path: Path) -> str:
    """The address of a clamd that was started and then stopped."""
    with ClamdServer(tmp_path / "clamd") as server:
        address = str(server.address)
    return address


@pytest.fixture
def uploads_api(pipeline: Pipeline, aws_env: str) -> Iterator[UploadsApi]:
    """The uploads API (its process entry point) serving the pipeline's stack on 127.0.0.1."""
    with serve_uploads_api(pipeline.settings, aws_env) as api:
        yield api
