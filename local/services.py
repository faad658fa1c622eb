"""A small process supervisor: start services in their own process group, track them by
pid files, check their health, and stop exactly what was started.

Every service gets `<root>/run/<name>.json` (pid, process group, start time from
`/proc/<pid>/stat`, argv, address, health check) and `<root>/logs/<name>.log`. A pid file
whose process is gone, or whose pid now belongs to another process (different start time),
is stale: `stop` removes it and signals nothing.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import httpx

HealthKind = Literal["http", "tcp", "clamd", "process"]


class ServiceStartError(RuntimeError):
    """A service exited or never became healthy (names the command and its last log line)."""


@dataclass(frozen=True)
class Health:
    """How to tell a service is up: an HTTP GET below 500, a TCP connect, clamd PING, or alive."""

    kind: HealthKind
    target: str = ""
    """URL (http), `host:port` (tcp, clamd); unused for `process`."""


@dataclass(frozen=True)
class ServiceSpec:
    """One service to run: its command, where it listens and how to check it."""

    name: str
    argv: tuple[str, ...]
    address: str
    health: Health
    description: str = ""
    env: Mapping[str, str] = field(default_factory=dict)
    start_timeout_seconds: float = 60.0
    settle_seconds: float = 0.0
    """Healthy only once it has also stayed up this long (catches a crash right after start)."""


@dataclass(frozen=True)
class ServiceState:
    """A running (or stale) service as its pid file and a health check see it."""

    name: str
    pid: int
    address: str
    description: str
    alive: bool
    healthy: bool


def last_line(path: Path) -> str:
    """The last non-empty line of a log file ('(no output)' when there is none)."""
    try:
        lines = [line for line in path.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return "(no log)"
    return lines[-1] if lines else "(no output)"


def _proc_stat(pid: int) -> tuple[str, int, int] | None:
    """(state, pgid, start time) of a process from /proc, or None when it does not exist."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return fields[0], int(fields[2]), int(fields[19])


def process_alive(pid: int, start_time: int | None = None) -> bool:
    """True when `pid` runs (not a zombie) and, if given, started at `start_time`."""
    stat = _proc_stat(pid)
    if stat is None or stat[0] in {"Z", "X"}:
        return False
    return start_time is None or stat[2] == start_time


def group_members(pgid: int) -> list[int]:
    """Live (non-zombie) processes in process group `pgid`."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        stat = _proc_stat(int(entry.name))
        if stat and stat[1] == pgid and stat[0] not in {"Z", "X"}:
            members.append(int(entry.name))
    return members


def listen_address(health: Health) -> tuple[str, int] | None:
    """The `(host, port)` a service will listen on, from its health check (None: unknown)."""
    if health.kind == "process" or not health.target:
        return None
    target = urlsplit(health.target) if health.kind == "http" else None
    if target is not None:
        return (target.hostname or "127.0.0.1", target.port or 80)
    host, _, port = health.target.rpartition(":")
    return host, int(port)


def port_in_use(host: str, port: int) -> bool:
    """Whether something accepts TCP connections on `host:port` right now."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def check_health(health: Health, pid: int, timeout: float = 2.0) -> bool:
    """Run one health check; `process` only needs the pid alive."""
    if not process_alive(pid):
        return False
    if health.kind == "process":
        return True
    if health.kind == "http":
        try:
            return httpx.get(health.target, timeout=timeout).status_code < 500
        except httpx.HTTPError:
            return False
    host, _, port = health.target.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=timeout) as sock:
            if health.kind == "tcp":
                return True
            sock.sendall(b"zPING\0")
            return sock.recv(16).startswith(b"PONG")
    except OSError:
        return False


class Supervisor:
    """Start, inspect and stop services whose state lives under `root`."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.run_dir = self.root / "run"
        self.log_dir = self.root / "logs"
        self._children: dict[str, subprocess.Popen[bytes]] = {}

    def pid_file(self, name: str) -> Path:
        return self.run_dir / f"{name}.json"

    def log_file(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"

    def start(self, spec: ServiceSpec) -> ServiceState:
        """Start `spec` in a new session and wait until healthy; raises ServiceStartError."""
        existing = self.state(spec.name)
        if existing and existing.alive:
            if existing.healthy and existing.address == spec.address:
                return existing
            self.stop(spec.name)
        listen = listen_address(spec.health)
        if listen and port_in_use(*listen):
            raise ServiceStartError(
                f"{spec.name}: {listen[0]}:{listen[1]} is already in use by another process"
            )
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.log_file(spec.name)
        env = {**os.environ, **spec.env}
        with log_path.open("ab") as log:
            try:
                child = subprocess.Popen(  # noqa: S603 - argv list from our own specs
                    list(spec.argv),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=env,
                    start_new_session=True,
                )
            except OSError as exc:
                raise ServiceStartError(f"{spec.name}: {' '.join(spec.argv)}: {exc}") from exc
        self._children[spec.name] = child
        stat = _proc_stat(child.pid)
        record = {
            "name": spec.name,
            "pid": child.pid,
            "pgid": child.pid,
            "start_time": stat[2] if stat else None,
            "argv": list(spec.argv),
            "address": spec.address,
            "description": spec.description,
            "health": asdict(spec.health),
        }
        self.pid_file(spec.name).write_text(json.dumps(record, indent=2))
        started = time.monotonic()
        deadline = started + spec.start_timeout_seconds
        while time.monotonic() < deadline:
            if child.poll() is not None:
                self.pid_file(spec.name).unlink(missing_ok=True)
                raise ServiceStartError(
                    f"{spec.name}: {' '.join(spec.argv)} exited with {child.returncode}: "
                    f"{last_line(log_path)}"
                )
            settled = time.monotonic() - started >= spec.settle_seconds
            if settled and check_health(spec.health, child.pid):
                return self._state_from(record)
            time.sleep(0.2)
        self.stop(spec.name)
        raise ServiceStartError(
            f"{spec.name}: not healthy within {spec.start_timeout_seconds:.0f} s "
            f"({spec.health.kind} {spec.health.target}): {last_line(log_path)}"
        )

    def _record(self, name: str) -> dict[str, object] | None:
        try:
            record: dict[str, object] = json.loads(self.pid_file(name).read_text())
        except (OSError, ValueError):
            return None
        return record

    def _state_from(self, record: Mapping[str, object]) -> ServiceState:
        pid = int(str(record["pid"]))
        start_time = record.get("start_time")
        alive = process_alive(pid, int(str(start_time)) if start_time is not None else None)
        health_fields = record.get("health") or {}
        assert isinstance(health_fields, Mapping)
        health = Health(**health_fields)
        return ServiceState(
            name=str(record["name"]),
            pid=pid,
            address=str(record.get("address", "")),
            description=str(record.get("description", "")),
            alive=alive,
            healthy=alive and check_health(health, pid),
        )

    def state(self, name: str) -> ServiceState | None:
        record = self._record(name)
        return self._state_from(record) if record else None

    def names(self) -> list[str]:
        """Services with a pid file, in start order."""
        if not self.run_dir.is_dir():
            return []
        files = sorted(self.run_dir.glob("*.json"), key=lambda p: p.stat().st_mtime)
        return [path.stem for path in files]

    def states(self) -> list[ServiceState]:
        return [state for name in self.names() if (state := self.state(name)) is not None]

    def stop(self, name: str, timeout_seconds: float = 10.0) -> bool:
        """Stop one service's process group (SIGTERM, then SIGKILL); True if it was running."""
        record = self._record(name)
        if record is None:
            return False
        pid, pgid = int(str(record["pid"])), int(str(record["pgid"]))
        start_time = record.get("start_time")
        was_running = process_alive(pid, int(str(start_time)) if start_time is not None else None)
        if was_running:
            self._signal_group(pgid, signal.SIGTERM)
            if not self._wait_gone(name, pgid, timeout_seconds):
                self._signal_group(pgid, signal.SIGKILL)
                self._wait_gone(name, pgid, timeout_seconds)
        self.pid_file(name).unlink(missing_ok=True)
        self._children.pop(name, None)
        return was_running

    def stop_all(self) -> list[str]:
        """Stop every tracked service, last started first; returns the names stopped."""
        return [name for name in reversed(self.names()) if self.stop(name)]

    def _signal_group(self, pgid: int, signum: signal.Signals) -> None:
        try:
            os.killpg(pgid, signum)
        except ProcessLookupError:
            return

    def _wait_gone(self, name: str, pgid: int, timeout_seconds: float) -> bool:
        child = self._children.get(name)
        deadline = time.monotonic() + timeout_seconds
        while time.monotonic() < deadline:
            if child is not None:
                child.poll()
            if not group_members(pgid):
                return True
            time.sleep(0.1)
        return False
