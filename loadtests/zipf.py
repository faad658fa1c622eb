"""Zipf popularity over a catalogue: item k (1-based rank) drawn with weight 1 / k**s."""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Sequence
from typing import Generic, TypeVar

T = TypeVar("T")


class ZipfSampler(Generic[T]):
    """Draw catalogue items by Zipf popularity (the first item is the most popular)."""

    def __init__(self, items: Sequence[T], exponent: float = 1.0, rng: random.Random | None = None):
        if not items:
            raise ValueError("the catalogue is empty: nothing to draw from")
        if exponent < 0:
            raise ValueError(f"the Zipf exponent must be >= 0, got {exponent}")
        self.items = list(items)
        self.exponent = exponent
        self.rng = rng or random.Random()
        weights = [1.0 / (rank**exponent) for rank in range(1, len(self.items) + 1)]
        self.cumulative = list(itertools.accumulate(weights))

    def probability(self, index: int) -> float:
        """Probability of drawing `items[index]`."""
        previous = self.cumulative[index - 1] if index else 0.0
        return (self.cumulative[index] - previous) / self.cumulative[-1]

    def draw(self) -> T:
        point = self.rng.random() * self.cumulative[-1]
        index = bisect.bisect_right(self.cumulative, point)
        return self.items[min(index, len(self.items) - 1)]
