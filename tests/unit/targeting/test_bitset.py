"""Bitsets as Python ints: built from positions, walked lowest bit first."""

import random

from hypothesis import given
from hypothesis import strategies as st

from openbid.targeting.bitset import from_positions, iter_bits


@given(st.sets(st.integers(0, 3000)))
def test_from_positions_and_back(positions: set[int]) -> None:
    bits = from_positions(positions)
    assert bits == sum(1 << p for p in positions)
    assert list(iter_bits(bits)) == sorted(positions)


def test_walk_jumps_over_long_empty_runs() -> None:
    positions = [3, 255, 256, 10_000, 10_001, 40_000]
    assert list(iter_bits(from_positions(positions))) == positions


def test_a_caller_may_stop_early() -> None:
    rng = random.Random(7)
    positions = sorted(rng.sample(range(20_000), 500))
    walk = iter_bits(from_positions(positions))
    assert [next(walk) for _ in range(3)] == positions[:3]
