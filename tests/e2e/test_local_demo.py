"""End to end: the demo through a full local stack (full-length tracks, a few minutes), then
its SLA scorecard (a short load run and a PITR drill)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.console import Console

from local.demo import run_demo
from local.layout import LocalPorts
from local.scorecard import SCORECARD_FILE, run_scorecard
from local.services import group_members
from local.stack import LocalStack
from stacks.settings import Settings, SlaSettings

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(1200)]


def test_demo_reaches_every_end_state_scores_every_sla_and_down_leaves_nothing(
    local_settings: Settings, tmp_path: Path
) -> None:
    stack = LocalStack(local_settings, root=tmp_path, ports=LocalPorts.free())
    console = Console(record=True, width=200)
    try:
        state = stack.up()
        assert state.applied_by.startswith("stacks.program")
        result = run_demo(stack, console, timeout_seconds=480)
        assert result.ok
        assert result.malicious_outcome() == (1, 1)
        scorecard = run_scorecard(
            local_settings,
            stack.layout,
            console,
            duration="15s",
            malicious=result.malicious_outcome(),
        )
    finally:
        pids = [s.pid for s in stack.status().services]
        stack.down()
    text = console.export_text()
    assert "edge MISS->HIT, HLS MISS->HIT" in text
    assert "quarantined, removed from incoming, alert" in text
    assert "2 references, 1 stored object(s)" in text
    assert all(group_members(pid) == [] for pid in pids)
    written = json.loads((tmp_path / "reports" / SCORECARD_FILE).read_text())
    rows = {row["setting"]: row for row in written["rows"]}
    assert list(rows) == list(SlaSettings.model_fields)
    # every SLA was measured by a source that ran (values are reported, not asserted)
    assert all(row["result"] != "error" for row in rows.values()), written
    for setting in ("download_mb_per_s", "first_byte_p95_ms", "rto_minutes", "rpo_minutes"):
        assert rows[setting]["measured_value"] is not None, rows[setting]
    assert {rows[s]["result"] for s in ("rto_minutes", "rpo_minutes")} <= {"pass", "FAIL"}
    assert rows["malicious_blocked_percent"]["measured"] == "100 % (1/1)"
    assert written["passed"] == scorecard.passed
    assert "SLA scorecard, stack local" in text
