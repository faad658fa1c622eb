"""Streamed SHA-256: hash while copying, never holding a whole file in memory."""

from __future__ import annotations

import hashlib
import mmap
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

DEFAULT_CHUNK_BYTES = 1024 * 1024
CONTENT_PREFIX = "sha256"
MMAP_WINDOW_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class ContentDigest:
    """The identity of some content: its SHA-256 (hex) and its size in bytes."""

    sha256: str
    size: int

    @property
    def key(self) -> str:
        """Content-addressed object key: `sha256/<aa>/<hash>`."""
        return content_key(self.sha256)


def content_key(sha256: str) -> str:
    """`sha256/<first two hex digits>/<hash>`; raises ValueError on anything but a SHA-256."""
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError(f"not a lowercase hex SHA-256: {sha256!r}")
    return f"{CONTENT_PREFIX}/{sha256[:2]}/{sha256}"


def hash_copy(
    source: BinaryIO, destination: BinaryIO | None = None, chunk_bytes: int = DEFAULT_CHUNK_BYTES
) -> ContentDigest:
    """Read `source` to its end in chunks, hashing each chunk and writing it to `destination`."""
    digest = hashlib.sha256()
    size = 0
    buffer = bytearray(chunk_bytes)
    view = memoryview(buffer)
    readinto = getattr(source, "readinto", None)
    while True:
        if readinto is not None:
            count = readinto(view)
            chunk = view[:count] if count else b""
        else:
            chunk = source.read(chunk_bytes)
            count = len(chunk)
        if not count:
            break
        digest.update(chunk)
        if destination is not None:
            destination.write(chunk)
        size += count
    return ContentDigest(digest.hexdigest(), size)


def hash_file(path: Path | str, chunk_bytes: int = DEFAULT_CHUNK_BYTES) -> ContentDigest:
    """SHA-256 and size of a file, streamed window by window.

    A regular file is hashed through a read-only memory map (no copy into Python buffers;
    the pages are page cache, dropped behind as we go), anything else with `hash_copy`.
    Only for files nobody truncates meanwhile (our own scratch copies).
    """
    with Path(path).open("rb", buffering=0) as stream:
        size = os.fstat(stream.fileno()).st_size
        if size == 0:
            return hash_copy(stream, None, chunk_bytes)
        try:
            mapped = mmap.mmap(stream.fileno(), 0, prot=mmap.PROT_READ)
        except (OSError, ValueError):
            return hash_copy(stream, None, chunk_bytes)
        with mapped:
            mapped.madvise(mmap.MADV_SEQUENTIAL)
            digest = hashlib.sha256()
            window = max(chunk_bytes, MMAP_WINDOW_BYTES)
            with memoryview(mapped) as view:
                for offset in range(0, size, window):
                    digest.update(view[offset : offset + window])
        return ContentDigest(digest.hexdigest(), size)


def download_hashed(
    s3: Any,
    bucket: str,
    key: str,
    target: Path,
    *,
    version_id: str | None = None,
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
) -> ContentDigest:
    """Stream an S3 object into `target`, hashing while copying (one pass, bounded memory)."""
    extra = {"VersionId": version_id} if version_id else {}
    body = s3.get_object(Bucket=bucket, Key=key, **extra)["Body"]
    try:
        with target.open("wb") as out:
            return hash_copy(body, out, chunk_bytes)
    finally:
        body.close()
