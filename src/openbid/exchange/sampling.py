"""Seeded draws the traffic generator needs: weighted choices, Zipf ranks, log-normal prices."""

import math
import random
from bisect import bisect_right
from collections.abc import Mapping
from itertools import accumulate
from typing import Generic, TypeVar

T = TypeVar("T")


class Choice(Generic[T]):
    """Draws one of a mapping's keys with probability proportional to its value."""

    def __init__(self, weights: Mapping[T, float]) -> None:
        if not weights or any(w < 0 for w in weights.values()) or sum(weights.values()) <= 0:
            raise ValueError(f"weights must be non-negative with a positive sum: {weights}")
        self.values = list(weights)
        self._cumulative = list(accumulate(weights.values()))
        self._total = self._cumulative[-1]

    def draw(self, rng: random.Random) -> T:
        """One value."""
        index = bisect_right(self._cumulative, rng.random() * self._total)
        return self.values[min(index, len(self.values) - 1)]


class Zipf:
    """Ranks 1..n where rank k is drawn with probability proportional to k**-s."""

    def __init__(self, n: int, s: float) -> None:
        if n < 1:
            raise ValueError("a Zipf pool needs at least one rank")
        self._cumulative = list(accumulate(k**-s for k in range(1, n + 1)))
        self._total = self._cumulative[-1]

    def draw(self, rng: random.Random) -> int:
        """One rank, 1 the most popular."""
        index = bisect_right(self._cumulative, rng.random() * self._total)
        return min(index, len(self._cumulative) - 1) + 1


def lognormal(rng: random.Random, median: float, sigma: float) -> float:
    """A log-normal draw given its median (rather than the mean of its logarithm)."""
    return rng.lognormvariate(math.log(median), sigma)
