"""The judges: Mann-Whitney with tolerance and confidence (Kayenta's), and thresholds."""

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openbid.deploy.analysis.mann_whitney import judge_mann_whitney, shift_test
from openbid.deploy.analysis.model import Classification, Direction, Samples
from openbid.deploy.analysis.threshold import judge_threshold

MIN_POINTS = 5
values = st.lists(
    st.floats(min_value=0.0, max_value=1e6, allow_nan=False, allow_infinity=False),
    min_size=MIN_POINTS,
    max_size=40,
)


def mann_whitney(
    canary: list[float], baseline: list[float], direction: Direction = Direction.HIGHER_IS_WORSE
) -> Classification:
    outcome = judge_mann_whitney(
        Samples.of(canary, baseline),
        direction,
        confidence=0.98,
        tolerance=0.25,
        min_difference=0.0,
        min_points=MIN_POINTS,
    )
    return outcome.classification


def noisy(rng: np.random.Generator, centre: float, n: int = 20) -> list[float]:
    """Samples around ``centre`` with 5 % noise, as a steady metric gives."""
    return [float(v) for v in rng.normal(centre, centre * 0.05, n)]


@given(values, st.sampled_from(Direction), st.randoms(use_true_random=False))
def test_identical_samples_never_fail(
    sample: list[float], direction: Direction, shuffler: random.Random
) -> None:
    reordered = list(sample)
    shuffler.shuffle(reordered)
    assert mann_whitney(reordered, sample, direction) is Classification.PASS


@settings(max_examples=50, deadline=None)
@given(st.floats(min_value=0.001, max_value=1e6), st.integers(min_value=0, max_value=2**32 - 1))
def test_a_doubled_metric_fails_in_its_bad_direction(centre: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    baseline, canary = noisy(rng, centre), noisy(rng, 2 * centre)
    assert mann_whitney(canary, baseline, Direction.HIGHER_IS_WORSE) is Classification.HIGH
    assert mann_whitney(canary, baseline, Direction.EITHER) is Classification.HIGH
    assert mann_whitney(canary, baseline, Direction.LOWER_IS_WORSE) is Classification.PASS
    assert mann_whitney(baseline, canary, Direction.LOWER_IS_WORSE) is Classification.LOW


@settings(max_examples=50, deadline=None)
@given(st.floats(min_value=0.001, max_value=1e6), st.integers(min_value=0, max_value=2**32 - 1))
def test_a_shift_within_tolerance_passes(centre: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    baseline, canary = noisy(rng, centre), noisy(rng, 1.05 * centre)
    assert mann_whitney(canary, baseline, Direction.EITHER) is Classification.PASS


def test_a_aa_comparisons_rarely_fail() -> None:
    rng = np.random.default_rng(7)
    failures = sum(
        mann_whitney(noisy(rng, 0.01), noisy(rng, 0.01), Direction.EITHER).failed
        for _ in range(300)
    )
    assert failures <= 3


def test_too_few_points_is_no_data_not_a_pass() -> None:
    outcome = judge_mann_whitney(
        Samples.of([9.0] * 4, [1.0] * 30),
        Direction.HIGHER_IS_WORSE,
        confidence=0.98,
        tolerance=0.25,
        min_difference=0.0,
        min_points=MIN_POINTS,
    )
    assert outcome.classification is Classification.NODATA
    assert outcome.reason == "4 canary and 30 baseline points (need 5)"


def test_missing_points_do_not_count() -> None:
    samples = Samples.of([1.0, float("nan"), float("inf"), 2.0], [3.0])
    assert samples == Samples((1.0, 2.0), (3.0,))


def test_min_difference_keeps_a_zero_baseline_from_failing_on_noise() -> None:
    baseline = [0.0] * 20
    canary = [0.0] * 17 + [0.001, 0.002, 0.001]
    outcome = judge_mann_whitney(
        Samples.of(canary, baseline),
        Direction.HIGHER_IS_WORSE,
        confidence=0.98,
        tolerance=0.5,
        min_difference=0.002,
        min_points=MIN_POINTS,
    )
    assert outcome.classification is Classification.PASS
    failing = [0.05] * 20
    assert mann_whitney(failing, baseline) is Classification.HIGH


def test_the_shift_interval_brackets_a_known_shift() -> None:
    rng = np.random.default_rng(3)
    baseline = rng.normal(10.0, 1.0, 200)
    test = shift_test(tuple(baseline + 3.0), tuple(rng.normal(10.0, 1.0, 200)), 0.98)
    assert test.low < 3.0 < test.high
    assert test.p_value < 1e-6
    assert abs(test.estimate - 3.0) < 0.3


def threshold(
    canary: list[float],
    baseline: list[float],
    *,
    maximum: float | None = None,
    minimum: float | None = None,
) -> Classification:
    outcome = judge_threshold(
        Samples.of(canary, baseline),
        Direction.HIGHER_IS_WORSE,
        tolerance=0.5,
        min_difference=0.0,
        minimum=minimum,
        maximum=maximum,
        min_points=MIN_POINTS,
    )
    return outcome.classification


@pytest.mark.parametrize(
    ("canary", "expected"),
    [(1.4, Classification.PASS), (1.6, Classification.HIGH), (0.1, Classification.PASS)],
)
def test_threshold_judges_the_mean_change(canary: float, expected: Classification) -> None:
    assert threshold([canary] * 5, [1.0] * 5) is expected


def test_threshold_bounds_apply_whatever_the_baseline() -> None:
    assert threshold([0.02] * 5, [0.02] * 5, maximum=0.01) is Classification.HIGH
    assert threshold([0.02] * 5, [0.02] * 5, minimum=0.05) is Classification.LOW
    assert threshold([0.02] * 4, [0.02] * 5, maximum=0.01) is Classification.NODATA
