"""The supervisor starts, tracks and stops process groups, and nothing else."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from local.layout import free_port
from local.services import (
    Health,
    ServiceSpec,
    ServiceStartError,
    Supervisor,
    check_health,
    group_members,
    process_alive,
)

SLEEPER = (
    sys.executable,
    "-c",
    "import subprocess, time; subprocess.Popen(['sleep', '60']); time.sleep(60)",
)


def _http_server(port: int) -> tuple[str, ...]:
    return (sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1")


def test_start_waits_for_health_and_stop_kills_the_whole_group(tmp_path: Path) -> None:
    supervisor = Supervisor(tmp_path)
    port = free_port()
    state = supervisor.start(
        ServiceSpec(
            "web",
            _http_server(port),
            f"http://127.0.0.1:{port}",
            Health("http", f"http://127.0.0.1:{port}/"),
        )
    )
    assert state.healthy
    sleeper = supervisor.start(ServiceSpec("sleeper", SLEEPER, "-", Health("process")))
    assert sleeper.alive
    record = json.loads(supervisor.pid_file("sleeper").read_text())
    assert record["argv"] == list(SLEEPER)
    import time

    deadline = time.monotonic() + 5
    while len(group_members(record["pgid"])) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(group_members(record["pgid"])) == 2  # python + its `sleep` child
    assert supervisor.stop_all() == ["sleeper", "web"]
    assert group_members(record["pgid"]) == []
    assert not process_alive(state.pid)
    assert supervisor.names() == []


def test_stop_never_signals_a_process_it_did_not_start(tmp_path: Path) -> None:
    stranger = subprocess.Popen(["sleep", "60"], start_new_session=True)
    try:
        supervisor = Supervisor(tmp_path)
        supervisor.run_dir.mkdir(parents=True)
        stale = {
            "name": "old",
            "pid": stranger.pid,
            "pgid": stranger.pid,
            "start_time": 1,  # not the stranger's start time: the pid was reused
            "argv": ["old"],
            "address": "",
            "health": {"kind": "process", "target": ""},
        }
        supervisor.pid_file("old").write_text(json.dumps(stale))
        state = supervisor.state("old")
        assert state is not None and not state.alive
        assert supervisor.stop("old") is False
        assert stranger.poll() is None
        assert not supervisor.pid_file("old").exists()
    finally:
        stranger.kill()
        stranger.wait()


def test_a_service_that_exits_reports_its_last_log_line(tmp_path: Path) -> None:
    supervisor = Supervisor(tmp_path)
    argv = (sys.executable, "-c", "import sys; print('boom: port taken'); sys.exit(3)")
    with pytest.raises(ServiceStartError, match="exited with 3: boom: port taken"):
        supervisor.start(ServiceSpec("bad", argv, "-", Health("tcp", "127.0.0.1:1")))
    assert supervisor.names() == []


def test_a_missing_binary_is_a_typed_error(tmp_path: Path) -> None:
    with pytest.raises(ServiceStartError, match="no-such-binary"):
        Supervisor(tmp_path).start(ServiceSpec("x", ("no-such-binary",), "-", Health("process")))


def test_unhealthy_service_is_stopped_after_the_timeout(tmp_path: Path) -> None:
    supervisor = Supervisor(tmp_path)
    spec = ServiceSpec(
        "deaf",
        ("sleep", "30"),
        "-",
        Health("tcp", f"127.0.0.1:{free_port()}"),
        start_timeout_seconds=1,
    )
    with pytest.raises(ServiceStartError, match="not healthy"):
        supervisor.start(spec)
    assert supervisor.names() == []


def test_a_port_taken_by_someone_else_is_refused_before_starting(tmp_path: Path) -> None:
    port = free_port()
    stranger = subprocess.Popen([*_http_server(port)], start_new_session=True)
    try:
        supervisor = Supervisor(tmp_path)
        health = Health("http", f"http://127.0.0.1:{port}/")
        import time

        deadline = time.monotonic() + 10
        while not check_health(health, stranger.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        with pytest.raises(ServiceStartError, match=f"127.0.0.1:{port} is already in use"):
            supervisor.start(ServiceSpec("web", _http_server(port), "-", health))
        assert supervisor.names() == []
        assert stranger.poll() is None
    finally:
        stranger.kill()
        stranger.wait()
