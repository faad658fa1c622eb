"""`local up` then `down`: every service healthy on 127.0.0.1, then no process of ours left."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from local.cli import app as local_app
from local.layout import LocalPorts
from local.services import group_members
from local.stack import LocalStack
from stacks.settings import Settings

pytestmark = pytest.mark.integration

SERVICES = ("moto", "alerts", "clamd", "worker-scan", "exporter", "alertmanager", "prometheus")


def _listening(port: int) -> list[str]:
    result = subprocess.run(["ss", "-Hltn", f"sport = :{port}"], capture_output=True, check=False)
    return [line.split()[3] for line in result.stdout.decode().splitlines() if line.strip()]


def test_up_status_down(local_settings: Settings, tmp_path: Path) -> None:
    bystander = subprocess.Popen(["sleep", "120"], start_new_session=True)
    stack = LocalStack(local_settings, root=tmp_path, ports=LocalPorts.free())
    try:
        state = stack.up(services=SERVICES)
        services = stack.status().services
        assert [s.name for s in services] == list(SERVICES)
        assert all(s.healthy for s in services), services
        for port in (state.ports.moto, state.ports.clamd, state.ports.prometheus):
            assert _listening(port) == [f"127.0.0.1:{port}"]
        output = CliRunner().invoke(local_app, ["status", "--root", str(tmp_path)]).output
        assert "healthy" in output and "aws:kms/key:Key" in output
        again = stack.up(services=("moto",))  # idempotent: nothing restarted
        assert again.ports == state.ports
        assert stack.status().services[0].pid == services[0].pid
    finally:
        pids = [s.pid for s in stack.status().services]
        result = CliRunner().invoke(local_app, ["down", "--root", str(tmp_path)])
    assert result.exit_code == 0
    assert all(name in result.output for name in SERVICES)
    assert all(group_members(pid) == [] for pid in pids)
    assert bystander.poll() is None  # not ours: untouched
    bystander.kill()
    bystander.wait()
    assert (
        "nothing running" in CliRunner().invoke(local_app, ["down", "--root", str(tmp_path)]).output
    )
