"""Fixtures for dedup against the moto server."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

import pytest


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
