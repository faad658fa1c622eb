"""Presigned part URLs for the upload client, fetched from the API in batches.

One request signs up to `batch_size` parts (the next ones in sending order), so a large
upload costs a few API calls instead of one per part. A retry asks for a fresh URL of
its own part (the batched one may have expired or been refused).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

BatchSigner = Callable[[Sequence[int]], dict[int, str]]


class PartUrls:
    """Hands out one presigned URL per part; thread-safe."""

    def __init__(
        self,
        order: Sequence[int],
        sign_batch: BatchSigner,
        *,
        batch_size: int = 50,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self._batches = [list(order[i : i + batch_size]) for i in range(0, len(order), batch_size)]
        self._batch_of = {n: index for index, batch in enumerate(self._batches) for n in batch}
        self._sign_batch = sign_batch
        self._cache: dict[int, str] = {}
        self._fetched: set[int] = set()
        self._lock = threading.Lock()

    def url(self, number: int, *, fresh: bool = False) -> str:
        """The URL for part `number`; `fresh` signs it again on its own."""
        if fresh or number not in self._batch_of:
            return self._sign_batch([number])[number]
        with self._lock:
            batch = self._batch_of[number]
            if batch not in self._fetched:
                self._cache.update(self._sign_batch(self._batches[batch]))
                self._fetched.add(batch)
            cached = self._cache.pop(number, None)
        return cached if cached is not None else self._sign_batch([number])[number]
