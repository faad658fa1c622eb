"""The clamd client and server against a real clamd with our signature database."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from workers.scan.clamd_client import ClamdClient
from workers.scan.clamd_server import ClamdServer
from workers.scan.verdicts import Clean, Infected, ScanFailed

pytestmark = pytest.mark.integration
CLAMD_MAX_BYTES = 8 * 1024 * 1024  # the `clamd` fixture's stream limit
CHUNK = 64 * 1024


def client(server: ClamdServer, **options: int) -> ClamdClient:
    assert server.address is not None
    return ClamdClient(server.address, chunk_bytes=CHUNK, timeout_seconds=30, **options)


def test_server_answers_ping_and_writes_its_own_config(clamd: ClamdServer) -> None:
    assert client(clamd).ping()
    config = clamd.config_path.read_text()
    assert "AlertExceedsMax yes" in config
    assert f"StreamMaxLength {CLAMD_MAX_BYTES}" in config
    assert f"DatabaseDirectory {clamd.workdir / 'db'}" in config
    assert sorted(p.name for p in (clamd.workdir / "db").iterdir()) == ["eicar.hdb", "eicar.ndb"]


def test_eicar_is_infected(clamd: ClamdServer, eicar: bytes) -> None:
    verdict = client(clamd).scan_stream(io.BytesIO(eicar))
    assert isinstance(verdict, Infected)
    assert verdict.signature.startswith("Eicar-Test-Signature")


def test_eicar_across_a_chunk_boundary_in_a_larger_file_is_infected(
    clamd: ClamdServer, eicar: bytes, tmp_path: Path
) -> None:
    path = tmp_path / "padded.bin"
    path.write_bytes(os.urandom(CHUNK * 3 - 30) + eicar + os.urandom(CHUNK))
    verdict = client(clamd).scan_file(path)
    assert isinstance(verdict, Infected)
    assert verdict.scanned_bytes == path.stat().st_size


def test_random_bytes_are_clean_and_fully_scanned(clamd: ClamdServer, tmp_path: Path) -> None:
    path = tmp_path / "clean.bin"
    path.write_bytes(os.urandom(CHUNK * 5 + 7))
    assert client(clamd).scan_file(path) == Clean(CHUNK * 5 + 7)


def test_size_limit_exceeded_is_not_clean(clamd: ClamdServer) -> None:
    big = io.BytesIO(b"\0" * (CLAMD_MAX_BYTES + CHUNK))
    verdict = client(clamd, max_file_bytes=4 * CLAMD_MAX_BYTES).scan_stream(big)
    assert isinstance(verdict, ScanFailed)
    assert "size limit exceeded" in verdict.reason


def test_file_over_our_limit_is_refused_before_sending(clamd: ClamdServer, tmp_path: Path) -> None:
    path = tmp_path / "big.bin"
    path.write_bytes(b"\0" * 1000)
    verdict = client(clamd, max_file_bytes=999).scan_file(path)
    assert verdict == ScanFailed("file of 1000 bytes exceeds the scan limit of 999 bytes")


def test_tcp_server_and_a_stopped_clamd(tmp_path: Path, eicar: bytes) -> None:
    with ClamdServer(tmp_path / "tcp", tcp=True) as server:
        assert server.address is not None and server.address.host == "127.0.0.1"
        assert isinstance(client(server).scan_stream(io.BytesIO(eicar)), Infected)
    verdict = client(server).scan_stream(io.BytesIO(b"hello"))
    assert isinstance(verdict, ScanFailed)
    assert "unreachable" in verdict.reason
    assert not client(server).ping()


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    code = "from mediainfra.cli import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, "scan", *args], capture_output=True, text=True, check=False
    )


def test_cli_exit_codes(clamd: ClamdServer, eicar: bytes, tmp_path: Path) -> None:
    clean = tmp_path / "clean.txt"
    clean.write_text("just text")
    bad = tmp_path / "bad.txt"
    bad.write_bytes(eicar)

    ok = run_cli(str(clean), "--clamd", str(clamd.address))
    assert ok.returncode == 0, ok.stderr
    assert "clean" in ok.stdout

    infected = run_cli(str(clean), str(bad), "--clamd", str(clamd.address))
    assert infected.returncode == 1, infected.stderr
    assert "Eicar-Test-Signature" in infected.stdout

    down = run_cli(str(clean), "--clamd", str(tmp_path / "nothing.sock"))
    assert down.returncode == 2, down.stderr
    assert "not scanned" in down.stdout


def test_cli_can_start_its_own_clamd(eicar: bytes, tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_bytes(eicar)
    result = run_cli(str(bad), "--start-clamd")
    assert result.returncode == 1, result.stderr
    assert "infected" in result.stdout
