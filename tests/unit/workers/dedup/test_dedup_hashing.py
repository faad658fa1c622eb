"""Streamed hashing equals hashlib over the same bytes, at every chunk boundary."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workers.dedup.hashing import ContentDigest, content_key, hash_copy, hash_file


@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=5000), chunk=st.integers(min_value=1, max_value=700))
def test_hash_copy_matches_hashlib_and_copies_every_byte(data: bytes, chunk: int) -> None:
    out = io.BytesIO()
    digest = hash_copy(io.BytesIO(data), out, chunk)
    assert digest == ContentDigest(hashlib.sha256(data).hexdigest(), len(data))
    assert out.getvalue() == data


class ReadOnly(io.RawIOBase):
    """A source with `read` but no `readinto` (like some HTTP bodies)."""

    def __init__(self, data: bytes) -> None:
        self._inner = io.BytesIO(data)

    def read(self, size: int = -1) -> bytes:  # type: ignore[override]
        return self._inner.read(size)

    readinto = None  # type: ignore[assignment]


def test_sources_without_readinto_are_hashed_too() -> None:
    data = bytes(range(256)) * 1000
    assert hash_copy(ReadOnly(data), None, 4096).sha256 == hashlib.sha256(data).hexdigest()


def test_hash_file(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(b"abc" * 1_000_000)
    digest = hash_file(path, chunk_bytes=65536)
    assert digest.sha256 == hashlib.sha256(b"abc" * 1_000_000).hexdigest()
    assert digest.size == 3_000_000
    assert digest.key == f"sha256/{digest.sha256[:2]}/{digest.sha256}"


@pytest.mark.parametrize("bad", ["", "abc", "G" * 64, "A" * 64, "a" * 63, "../" + "a" * 61])
def test_content_key_refuses_anything_but_a_sha256(bad: str) -> None:
    with pytest.raises(ValueError, match="SHA-256"):
        content_key(bad)


@pytest.mark.parametrize("size", [0, 1, 8 * 1024 * 1024, 8 * 1024 * 1024 + 3, 20_000_000])
def test_hash_file_across_mmap_windows(tmp_path: Path, size: int) -> None:
    data = (bytes(range(251)) * (size // 251 + 1))[:size]
    path = tmp_path / "w.bin"
    path.write_bytes(data)
    assert hash_file(path, chunk_bytes=65536) == ContentDigest(
        hashlib.sha256(data).hexdigest(), size
    )
