"""Fixtures shared by the integration tiers: a partial local stack (moto, origin, Varnish edge)
on free ports, for the edge tests of `local/` and of the origin."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest

from local.layout import LocalPorts, StackState
from local.services import group_members
from local.stack import LocalStack
from stacks.settings import Settings


@dataclass(frozen=True)
class RunningStack:
    stack: LocalStack
    state: StackState
    root: Path
    s3: object


@pytest.fixture(scope="module")
def edge_stack(
    local_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningStack]:
    root = tmp_path_factory.mktemp("local-stack")
    stack = LocalStack(local_settings, root=root, ports=LocalPorts.free())
    try:
        state = stack.up(services=("moto", "origin", "edge"))
        s3 = boto3.client(
            "s3",
            endpoint_url=state.endpoint,
            region_name=local_settings.region,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        yield RunningStack(stack, state, root, s3)
    finally:
        pids = [s.pid for s in stack.status().services]
        stack.down()
        assert all(not group_members(pid) for pid in pids)
