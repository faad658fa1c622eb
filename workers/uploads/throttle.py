"""A token-bucket bandwidth limit shared by the threads of one upload."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator

_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3}


def parse_rate(text: str) -> int:
    """Bytes per second from `'500K'`, `'20M'`, `'1G'` or a plain number of bytes."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMG]?)(?:i?B)?(?:/s)?\s*", text, re.IGNORECASE)
    if match is None or float(match[1]) <= 0:
        raise ValueError(f"not a positive rate: {text!r} (examples: 500K, 20M, 1G)")
    return int(float(match[1]) * _UNITS[match[2].upper()])


class RateLimiter:
    """Blocks callers so that, together, they take at most `bytes_per_s` on average."""

    def __init__(
        self,
        bytes_per_s: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if bytes_per_s <= 0:
            raise ValueError(f"rate must be positive, got {bytes_per_s}")
        self._rate = bytes_per_s
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_free = clock()

    def acquire(self, amount: int) -> None:
        """Wait until `amount` more bytes may be sent."""
        with self._lock:
            now = self._clock()
            start = max(now, self._next_free)
            self._next_free = start + amount / self._rate
            delay = start - now
        if delay > 0:
            self._sleep(delay)

    def chunks(self, data: bytes, chunk_bytes: int = 256 * 1024) -> Iterator[bytes]:
        """`data` in chunks, each released when the limit allows."""
        view = memoryview(data)
        for offset in range(0, len(data), chunk_bytes):
            chunk = view[offset : offset + chunk_bytes]
            self.acquire(len(chunk))
            yield bytes(chunk)
