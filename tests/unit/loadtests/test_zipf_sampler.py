"""Zipf popularity: the frequencies of draws follow 1/k**s."""

from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loadtests.zipf import ZipfSampler


@given(st.integers(1, 200), st.floats(0, 3))
def test_probabilities_sum_to_one_and_decrease(n, s):  # type: ignore[no-untyped-def]
    sampler = ZipfSampler(list(range(n)), s)
    probabilities = [sampler.probability(i) for i in range(n)]
    assert sum(probabilities) == pytest.approx(1.0)
    assert all(a >= b - 1e-12 for a, b in itertools.pairwise(probabilities))


def test_draw_frequencies_match_zipf():
    sampler = ZipfSampler([f"item-{i}" for i in range(50)], 1.0, random.Random(7))
    draws = 40_000
    counts: dict[str, int] = {}
    for _ in range(draws):
        item = sampler.draw()
        counts[item] = counts.get(item, 0) + 1
    for rank in (0, 1, 4, 49):
        expected = sampler.probability(rank) * draws
        assert counts.get(f"item-{rank}", 0) == pytest.approx(expected, rel=0.15, abs=30)
    assert counts["item-0"] / counts["item-1"] == pytest.approx(2.0, rel=0.1)


def test_exponent_zero_is_uniform():
    sampler = ZipfSampler(list(range(4)), 0.0)
    assert [sampler.probability(i) for i in range(4)] == pytest.approx([0.25] * 4)


def test_empty_catalogue_and_negative_exponent_are_errors():
    with pytest.raises(ValueError, match="empty"):
        ZipfSampler([])
    with pytest.raises(ValueError, match=">= 0"):
        ZipfSampler([1], -1)
