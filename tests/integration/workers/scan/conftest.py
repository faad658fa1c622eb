"""A private clamd (bundled EICAR signatures) for the scanner's integration tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from workers.scan.clamd_server import ClamdServer

CLAMD_MAX_BYTES = 8 * 1024 * 1024  # also in test_clamd_scanner.py


@pytest.fixture(scope="session")
def clamd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClamdServer]:
    """clamd on a unix socket for the session, with an 8 MiB stream limit."""
    with ClamdServer(tmp_path_factory.mktemp("clamd-scan"), max_bytes=CLAMD_MAX_BYTES) as server:
        yield server


@pytest.fixture
def eicar() -> bytes:
    """The EICAR test string, assembled at runtime so no file in the repo is EICAR."""
    head = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$"
    tail = "-".join(["EICAR", "STANDARD", "ANTIVIRUS", "TEST", "FILE!$H+H*"])
    return (head + tail).encode()
