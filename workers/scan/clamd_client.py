"""A clamd client speaking INSTREAM over a unix socket or TCP, failing closed.

Every path that is not a complete scan with an `OK` reply yields `ScanFailed`: clamd
unreachable, a timeout, `INSTREAM size limit exceeded`, a file over the configured limit,
or any reply we do not recognise.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from stacks.settings import ScanSettings
from workers.scan.verdicts import Clean, ScanFailed, Verdict, parse_reply

MIN_CHUNK_BYTES = 64 * 1024
_REPLY_LIMIT = 64 * 1024


@dataclass(frozen=True)
class ClamdAddress:
    """Where clamd listens: a unix socket path, or a TCP host and port."""

    unix_path: str | None = None
    host: str | None = None
    port: int | None = None

    @classmethod
    def parse(cls, text: str) -> ClamdAddress:
        """`/path/clamd.sock`, `unix:/path`, `tcp://127.0.0.1:3310` or `127.0.0.1:3310`."""
        value = text.strip()
        if value.startswith("unix:"):
            return cls(unix_path=value.removeprefix("unix:").removeprefix("//"))
        if value.startswith("/") or value.startswith("."):
            return cls(unix_path=value)
        value = value.removeprefix("tcp://")
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit():
            raise ValueError(f"not a clamd address (HOST:PORT or socket path): {text!r}")
        return cls(host=host, port=int(port))

    def __str__(self) -> str:
        return self.unix_path if self.unix_path else f"{self.host}:{self.port}"

    def connect(self, timeout: float) -> socket.socket:
        """An open connection to clamd; raises OSError when unreachable."""
        if self.unix_path:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(timeout)
            try:
                sock.connect(self.unix_path)
            except OSError:
                sock.close()
                raise
            return sock
        return socket.create_connection((self.host, self.port), timeout=timeout)


class ClamdClient:
    """Scan streams and files with clamd's INSTREAM command."""

    def __init__(
        self,
        address: ClamdAddress | str,
        *,
        chunk_bytes: int = 1024 * 1024,
        timeout_seconds: float = 120.0,
        max_file_bytes: int = 2 * 1024**3,
    ) -> None:
        if chunk_bytes < MIN_CHUNK_BYTES:
            raise ValueError(f"chunk_bytes must be >= {MIN_CHUNK_BYTES}, got {chunk_bytes}")
        self.address = ClamdAddress.parse(address) if isinstance(address, str) else address
        self.chunk_bytes = chunk_bytes
        self.timeout_seconds = timeout_seconds
        self.max_file_bytes = max_file_bytes

    @classmethod
    def from_settings(cls, scan: ScanSettings, address: str | None = None) -> ClamdClient:
        """A client with the stack's limits; `address` overrides `scan.clamd_address`."""
        return cls(
            address or scan.clamd_address,
            chunk_bytes=scan.chunk_bytes,
            timeout_seconds=scan.timeout_seconds,
            max_file_bytes=scan.max_file_bytes,
        )

    def ping(self) -> bool:
        """True when clamd answers PING with PONG."""
        try:
            with self.address.connect(self.timeout_seconds) as sock:
                sock.sendall(b"zPING\0")
                return _read_reply(sock) == "PONG"
        except OSError:
            return False

    def scan_file(self, path: Path | str) -> Verdict:
        """Scan a file; files over the limit are refused before any byte is sent."""
        path = Path(path)
        try:
            size = path.stat().st_size
            if size > self.max_file_bytes:
                return _too_large(size, self.max_file_bytes)
            with path.open("rb") as stream:
                return self.scan_stream(stream)
        except OSError as exc:
            return ScanFailed(f"cannot read {path}: {exc.strerror or exc}")

    def scan_stream(self, stream: BinaryIO) -> Verdict:
        """Send a stream to clamd in chunks and map the reply to a verdict."""
        try:
            with self.address.connect(self.timeout_seconds) as sock:
                return self._instream(sock, stream)
        except TimeoutError:
            return ScanFailed(f"clamd at {self.address} timed out after {self.timeout_seconds} s")
        except OSError as exc:
            return ScanFailed(f"clamd at {self.address} unreachable: {exc.strerror or exc}")

    def _instream(self, sock: socket.socket, stream: BinaryIO) -> Verdict:
        buffer = bytearray(self.chunk_bytes)
        view = memoryview(buffer)
        sent = 0
        try:
            sock.sendall(b"zINSTREAM\0")
            while True:
                count = stream.readinto(view)  # type: ignore[attr-defined]
                if not count:
                    break
                sent += count
                if sent > self.max_file_bytes:
                    return _too_large(sent, self.max_file_bytes)
                sock.sendall(struct.pack("!L", count))
                sock.sendall(view[:count])
            sock.sendall(struct.pack("!L", 0))
        except (BrokenPipeError, ConnectionResetError):
            # clamd hangs up mid-stream when StreamMaxLength is exceeded; read why.
            return _failed_or_reply(sock, sent)
        return parse_reply(_read_reply(sock), sent)


def _failed_or_reply(sock: socket.socket, sent: int) -> Verdict:
    try:
        reply = _read_reply(sock)
    except OSError as exc:
        return ScanFailed(f"clamd closed the stream after {sent} bytes: {exc}")
    verdict = parse_reply(reply, sent)
    if isinstance(verdict, Clean):  # a reply to half a file is never a clean verdict
        return ScanFailed(f"clamd closed the stream after {sent} bytes")
    return verdict


def _too_large(size: int, limit: int) -> ScanFailed:
    return ScanFailed(f"file of {size} bytes exceeds the scan limit of {limit} bytes")


def _read_reply(sock: socket.socket) -> str:
    """Read one NUL-terminated reply (z-prefixed commands)."""
    data = bytearray()
    while b"\0" not in data and len(data) < _REPLY_LIMIT:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data.split(b"\0", 1)[0].decode("utf-8", "replace").strip()
