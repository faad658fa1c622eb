"""The client fails closed against a misbehaving server (a fake clamd on 127.0.0.1)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from io import BytesIO
from pathlib import Path

import pytest

from workers.scan.clamd_client import ClamdAddress, ClamdClient
from workers.scan.verdicts import Clean, ScanFailed

Behaviour = Callable[[socket.socket], None]


@contextmanager
def fake_clamd(behaviour: Behaviour) -> Iterator[ClamdAddress]:
    """A one-connection TCP server that runs `behaviour` on the accepted socket."""
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    done = threading.Event()

    def serve() -> None:
        conn, _ = server.accept()
        with conn:
            behaviour(conn)
            done.wait(5)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield ClamdAddress(host="127.0.0.1", port=port)
    finally:
        done.set()
        thread.join(5)
        server.close()


def read_stream(conn: socket.socket) -> int:
    """Consume a zINSTREAM request up to its zero-length terminator; returns payload bytes."""
    data = b""
    while b"\0" not in data:
        data += conn.recv(1)
    total = 0
    while True:
        size = int.from_bytes(_exact(conn, 4), "big")
        if size == 0:
            return total
        _exact(conn, size)
        total += size


def _exact(conn: socket.socket, n: int) -> bytes:
    out = b""
    while len(out) < n:
        chunk = conn.recv(n - len(out))
        if not chunk:
            raise ConnectionError("client closed")
        out += chunk
    return out


def scan(address: ClamdAddress, data: bytes, timeout: float = 5.0) -> object:
    client = ClamdClient(address, chunk_bytes=65536, timeout_seconds=timeout)
    return client.scan_stream(BytesIO(data))


def test_ok_after_the_whole_stream_is_clean() -> None:
    with fake_clamd(lambda c: (read_stream(c), c.sendall(b"stream: OK\0"))) as address:
        assert scan(address, b"x" * 200_000) == Clean(200_000)


def test_unexpected_reply_is_not_clean() -> None:
    with fake_clamd(lambda c: (read_stream(c), c.sendall(b"hello there\0"))) as address:
        verdict = scan(address, b"data")
    assert isinstance(verdict, ScanFailed) and "unexpected" in verdict.reason


def test_no_reply_times_out_and_is_not_clean() -> None:
    with fake_clamd(lambda c: read_stream(c)) as address:
        verdict = scan(address, b"data", timeout=0.5)
    assert isinstance(verdict, ScanFailed) and "timed out" in verdict.reason


def test_connection_closed_without_reply_is_not_clean() -> None:
    with fake_clamd(lambda c: (read_stream(c), c.shutdown(socket.SHUT_RDWR))) as address:
        verdict = scan(address, b"data")
    assert isinstance(verdict, ScanFailed)


def test_ok_sent_before_the_stream_ends_is_not_clean() -> None:
    def hang_up_early(conn: socket.socket) -> None:
        conn.recv(100)
        conn.sendall(b"stream: OK\0")
        conn.shutdown(socket.SHUT_RDWR)
        conn.close()

    with fake_clamd(hang_up_early) as address:
        verdict = scan(address, b"y" * 8 * 1024 * 1024)
    assert isinstance(verdict, ScanFailed)


def test_unreachable_clamd_is_not_clean(tmp_path: Path) -> None:
    verdict = scan(ClamdAddress(unix_path=str(tmp_path / "none.sock")), b"data")
    assert isinstance(verdict, ScanFailed) and "unreachable" in verdict.reason


def test_over_the_limit_is_refused_without_connecting(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"12345")
    client = ClamdClient("127.0.0.1:1", max_file_bytes=4)
    assert client.scan_file(path) == ScanFailed("file of 5 bytes exceeds the scan limit of 4 bytes")


def test_a_stream_growing_past_the_limit_is_not_clean() -> None:
    with fake_clamd(lambda c: c.recv(1 << 20)) as address:
        client = ClamdClient(address, chunk_bytes=65536, max_file_bytes=100_000)
        verdict = client.scan_stream(BytesIO(b"z" * 200_000))
    assert isinstance(verdict, ScanFailed) and "exceeds the scan limit" in verdict.reason


def test_missing_file_is_not_clean(tmp_path: Path) -> None:
    verdict = ClamdClient("127.0.0.1:1").scan_file(tmp_path / "missing")
    assert isinstance(verdict, ScanFailed) and "cannot read" in verdict.reason


def test_chunks_below_64_kib_are_refused() -> None:
    with pytest.raises(ValueError, match="chunk_bytes"):
        ClamdClient("127.0.0.1:3310", chunk_bytes=4096)
