"""Part sizing: max(5 MiB, ceil(size / 10,000)), never more than 10,000 parts."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workers.uploads.sizing import (
    MAX_PART_COUNT,
    MIN_PART_BYTES,
    part_count,
    part_range,
    part_size,
)

MIB = 1024 * 1024
sizes = st.integers(1, 5 * 1024**4)


@given(size=sizes)
def test_part_size_is_the_formula(size: int) -> None:
    assert part_size(size) == max(5 * MIB, -(-size // 10_000))


@given(size=sizes)
def test_parts_cover_the_file_within_s3_limits(size: int) -> None:
    psize = part_size(size)
    count = part_count(size, psize)
    assert 1 <= count <= MAX_PART_COUNT
    assert psize >= MIN_PART_BYTES
    assert (count - 1) * psize < size <= count * psize


@given(size=st.integers(1, 10**9), data=st.data())
def test_ranges_tile_the_file(size: int, data: st.DataObject) -> None:
    psize = part_size(size)
    count = part_count(size, psize)
    number = data.draw(st.integers(1, count))
    offset, length = part_range(size, psize, number)
    assert offset == (number - 1) * psize
    assert 0 < length <= psize
    assert (length == psize) or (number == count and offset + length == size)


def test_examples() -> None:
    assert part_size(1) == 5 * MIB
    assert part_size(100 * 1000 * 1000) == 5 * MIB
    assert part_size(50 * 1024**3) == -(-50 * 1024**3 // 10_000)
    assert part_count(120 * 1000 * 1000, 5 * MIB) == 23
    assert part_range(11, 5, 3) == (10, 1)


@pytest.mark.parametrize("size", [0, -1])
def test_empty_or_negative_sizes_are_refused(size: int) -> None:
    with pytest.raises(ValueError):
        part_size(size)


def test_part_numbers_outside_the_file_are_refused() -> None:
    with pytest.raises(ValueError, match=r"outside 1\.\.3"):
        part_range(11, 5, 4)
    with pytest.raises(ValueError):
        part_range(11, 5, 0)
