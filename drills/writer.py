"""Writes that continue during a drill: a thread putting small objects until stopped."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class ContinuingWriter:
    """Puts `<prefix>NNNNNN.bin` every `interval_s` on its own client until `stop()`."""

    s3: Any
    bucket: str
    prefix: str
    interval_s: float = 0.1
    object_bytes: int = 4096
    written: list[tuple[str, datetime]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def _run(self) -> None:
        count = 0
        while not self._stop.is_set():
            key = f"{self.prefix}{count:06d}.bin"
            try:
                self.s3.put_object(Bucket=self.bucket, Key=key, Body=os.urandom(self.object_bytes))
                head = self.s3.head_object(Bucket=self.bucket, Key=key)
                self.written.append((key, head["LastModified"]))
            except Exception as exc:  # noqa: BLE001 - recorded, reported, the drill goes on
                self.errors.append(f"{key}: {exc}")
            count += 1
            self._stop.wait(self.interval_s)

    def __enter__(self) -> ContinuingWriter:
        self._thread = threading.Thread(target=self._run, name="drill-writer", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
