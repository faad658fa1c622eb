"""Fixtures for the ingest pipeline: a per-test stack on the moto server, a stopped clamd.

The session clamd, `eicar` and `atomic_dynamodb` come from `tests/integration/workers/conftest.py`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pipeline_harness import Pipeline, make_pipeline, stack_for_test

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
