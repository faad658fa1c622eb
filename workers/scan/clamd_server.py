"""A private clamd for tests, the CLI and the local stack, with our bundled signatures.

`ClamdServer(workdir)` writes its own `clamd.conf` (DatabaseDirectory = a copy of
`workers/scan/signatures`, a unix socket or TCP 127.0.0.1:port, Foreground, the stream and
file limits with AlertExceedsMax), starts clamd, waits until PING answers PONG and stops it
on exit.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

from workers.scan.clamd_client import ClamdAddress, ClamdClient

SIGNATURES_DIR = Path(__file__).resolve().parent / "signatures"
CLAMD_BINARY = "clamd"


class ClamdServerError(RuntimeError):
    """clamd could not be started (names the command and clamd's last log/stderr line)."""


def free_tcp_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ClamdServer:
    """Run clamd in the foreground as a child process for the duration of a `with` block."""

    def __init__(
        self,
        workdir: Path | str,
        *,
        tcp: bool = False,
        port: int | None = None,
        max_bytes: int = 2 * 1024**3,
        signatures: Path = SIGNATURES_DIR,
        start_timeout_seconds: float = 60.0,
    ) -> None:
        self.workdir = Path(workdir)
        self.tcp = tcp or port is not None
        self.port = port
        self.max_bytes = max_bytes
        self.signatures = signatures
        self.start_timeout_seconds = start_timeout_seconds
        self._process: subprocess.Popen[bytes] | None = None
        self.address: ClamdAddress | None = None

    @property
    def config_path(self) -> Path:
        return self.workdir / "clamd.conf"

    @property
    def log_path(self) -> Path:
        return self.workdir / "clamd.log"

    def write_config(self) -> Path:
        """Copy the signatures and write clamd.conf; returns the config path."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        database = self.workdir / "db"
        if database.exists():
            shutil.rmtree(database)
        shutil.copytree(self.signatures, database)
        if self.tcp:
            self.port = self.port or free_tcp_port()
            self.address = ClamdAddress(host="127.0.0.1", port=self.port)
            listen = [f"TCPSocket {self.port}", "TCPAddr 127.0.0.1"]
        else:
            sock = self.workdir / "clamd.sock"
            self.address = ClamdAddress(unix_path=str(sock))
            listen = [f"LocalSocket {sock}", "LocalSocketMode 600"]
        limit = str(self.max_bytes)
        lines = [
            f"DatabaseDirectory {database}",
            *listen,
            "Foreground yes",
            "User root",
            f"LogFile {self.log_path}",
            f"PidFile {self.workdir / 'clamd.pid'}",
            f"TemporaryDirectory {self.workdir}",
            f"StreamMaxLength {limit}",
            f"MaxFileSize {limit}",
            f"MaxScanSize {limit}",
            "AlertExceedsMax yes",
            "SelfCheck 3600",
            "MaxThreads 4",
        ]
        self.config_path.write_text("\n".join(lines) + "\n")
        return self.config_path

    def start(self) -> ClamdAddress:
        """Start clamd and wait until it answers PING; raises ClamdServerError."""
        if self._process is not None:
            raise ClamdServerError("clamd already started")
        self.write_config()
        argv = [CLAMD_BINARY, "-c", str(self.config_path)]
        try:
            self._process = subprocess.Popen(  # noqa: S603 - fixed argv
                argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
            )
        except OSError as exc:
            raise ClamdServerError(f"{' '.join(argv)}: {exc}") from exc
        assert self.address is not None
        client = ClamdClient(self.address, timeout_seconds=2.0)
        deadline = time.monotonic() + self.start_timeout_seconds
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                stderr = self._process.stderr.read() if self._process.stderr else b""
                self._process = None
                raise ClamdServerError(
                    f"{' '.join(argv)} exited: {_last_line(stderr.decode(errors='replace'))}"
                    f" / {_last_line(self._log())}"
                )
            if client.ping():
                return self.address
            time.sleep(0.1)
        self.stop()
        raise ClamdServerError(
            f"{' '.join(argv)}: no PONG within {self.start_timeout_seconds} s: "
            f"{_last_line(self._log())}"
        )

    def stop(self) -> None:
        """Stop clamd (SIGTERM, then SIGKILL after 10 s)."""
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        if process.stderr:
            process.stderr.close()

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def _log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def __enter__(self) -> ClamdServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "(no output)"
