"""Fixtures shared by the workers' integration tests: clamd, EICAR, atomic moto DynamoDB."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from workers.scan.clamd_server import ClamdServer

CLAMD_MAX_BYTES = 8 * 1024 * 1024  # also in scan/test_clamd_scanner.py


@pytest.fixture(scope="session")
def clamd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClamdServer]:
    """clamd with the bundled EICAR signatures on a unix socket for the session (8 MiB limit)."""
    with ClamdServer(tmp_path_factory.mktemp("clamd"), max_bytes=CLAMD_MAX_BYTES) as server:
        yield server


@pytest.fixture
def eicar() -> bytes:
    """The EICAR test string, assembled at runtime so no file in the repo is EICAR."""
    head = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$"
    tail = "-".join(["EICAR", "STANDARD", "ANTIVIRUS", "TEST", "FILE!$H+H*"])
    return (head + tail).encode()


@pytest.fixture
def atomic_dynamodb(monkeypatch: pytest.MonkeyPatch) -> None:
    """Give the in-process moto server DynamoDB's per-request write atomicity.

    moto 5.2's DynamoDB backend is not thread-safe: concurrent `UpdateItem ADD` requests
    lose increments and `TransactWriteItems` deep-copies tables that other requests are
    mutating. Real DynamoDB applies each write request atomically; serialising moto's
    write operations models exactly that and nothing more, so a client-side
    read-modify-write would still lose updates here.
    """
    from moto.dynamodb.models import DynamoDBBackend

    lock = threading.RLock()
    for name in ("put_item", "update_item", "delete_item", "transact_write_items"):
        monkeypatch.setattr(
            DynamoDBBackend, name, _serialised(getattr(DynamoDBBackend, name), lock)
        )


def _serialised(method: Callable[..., Any], lock: threading.RLock) -> Callable[..., Any]:
    @functools.wraps(method)
    def locked(self: Any, *args: Any, **kwargs: Any) -> Any:
        with lock:
            return method(self, *args, **kwargs)

    return locked
