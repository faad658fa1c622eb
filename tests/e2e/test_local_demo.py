"""End to end: the demo through a full local stack (full-length tracks, a few minutes)."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console

from local.demo import run_demo
from local.layout import LocalPorts
from local.services import group_members
from local.stack import LocalStack
from stacks.settings import Settings

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_demo_reaches_every_end_state_and_down_leaves_nothing(
    local_settings: Settings, tmp_path: Path
) -> None:
    stack = LocalStack(local_settings, root=tmp_path, ports=LocalPorts.free())
    console = Console(record=True, width=200)
    try:
        state = stack.up()
        assert state.applied_by.startswith("stacks.program")
        assert run_demo(stack, console, timeout_seconds=480)
    finally:
        pids = [s.pid for s in stack.status().services]
        stack.down()
    text = console.export_text()
    assert "edge MISS->HIT, HLS MISS->HIT" in text
    assert "quarantined, removed from incoming, alert" in text
    assert "2 references, 1 stored object(s)" in text
    assert all(group_members(pid) == [] for pid in pids)
