"""Part size and part count of a multipart upload (S3: >= 5 MiB parts, <= 10,000 parts)."""

from __future__ import annotations

MIN_PART_BYTES = 5 * 1024**2
MAX_PART_COUNT = 10_000
MAX_PART_BYTES = 5 * 1024**3
"""S3's largest part; with 10,000 parts it bounds an object at ~48.8 TiB (S3 allows 5 TiB)."""


def part_size(
    size: int, *, min_part_bytes: int = MIN_PART_BYTES, max_parts: int = MAX_PART_COUNT
) -> int:
    """max(min_part_bytes, ceil(size / max_parts)): the fewest parts S3 allows, never tiny parts."""
    if size <= 0:
        raise ValueError(f"size must be positive, got {size}")
    return max(min_part_bytes, -(-size // max_parts))


def part_count(size: int, part_bytes: int) -> int:
    """Number of parts of `part_bytes` (the last one shorter) that hold `size` bytes."""
    if size <= 0 or part_bytes <= 0:
        raise ValueError(f"size and part size must be positive, got {size}, {part_bytes}")
    return -(-size // part_bytes)


def part_range(size: int, part_bytes: int, part_number: int) -> tuple[int, int]:
    """(offset, length) of 1-based `part_number` in a file of `size` bytes."""
    count = part_count(size, part_bytes)
    if not 1 <= part_number <= count:
        raise ValueError(f"part number {part_number} outside 1..{count}")
    offset = (part_number - 1) * part_bytes
    return offset, min(part_bytes, size - offset)
