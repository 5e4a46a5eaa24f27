"""Kayenta's judge: a Mann-Whitney U test and a confidence interval of the shift, with tolerance.

The canary fails a metric when the whole confidence interval of the shift between canary and
baseline (the Hodges-Lehmann interval, distribution-free) lies beyond the allowed change in the
bad direction. The allowed change is ``tolerance`` times the baseline's median, and at least
``min_difference`` (so a baseline of zero errors does not make any single error a failure).
A metric with fewer than ``min_points`` samples on either side has no data, and fails nothing.
"""

import statistics
from dataclasses import dataclass

from openbid.deploy.analysis.model import Classification, Direction, Outcome, Samples


@dataclass(frozen=True)
class ShiftTest:
    """The test's figures: the p-value, and the interval and estimate of canary minus baseline."""

    p_value: float
    low: float
    high: float
    estimate: float


def shift_test(
    canary: tuple[float, ...], baseline: tuple[float, ...], confidence: float
) -> ShiftTest:
    """Two-sided Mann-Whitney U p-value and the Hodges-Lehmann interval at ``confidence``."""
    import numpy as np  # noqa: PLC0415 - numpy and scipy load only when a metric is judged
    from scipy.stats import mannwhitneyu, norm  # noqa: PLC0415

    x = np.asarray(canary, dtype=float)
    y = np.asarray(baseline, dtype=float)
    p_value = float(mannwhitneyu(x, y, alternative="two-sided").pvalue)
    differences = np.sort(np.subtract.outer(x, y).ravel())
    n, m = len(x), len(y)
    z = float(norm.ppf(0.5 + confidence / 2))
    rank = int(np.floor(n * m / 2 - z * np.sqrt(n * m * (n + m + 1) / 12)))
    if rank < 0:
        low, high = -np.inf, np.inf
    else:
        low, high = differences[rank], differences[n * m - 1 - rank]
    return ShiftTest(p_value, float(low), float(high), float(np.median(differences)))


def allowed_change(baseline: tuple[float, ...], tolerance: float, min_difference: float) -> float:
    """How far the canary may move from the baseline before it counts as a change."""
    return max(tolerance * abs(statistics.median(baseline)), min_difference)


def judge_mann_whitney(
    samples: Samples,
    direction: Direction,
    *,
    confidence: float,
    tolerance: float,
    min_difference: float,
    min_points: int,
) -> Outcome:
    """Classify one metric as Kayenta's Mann-Whitney classifier does."""
    canary, baseline = samples.canary, samples.baseline
    if min(len(canary), len(baseline)) < min_points:
        return Outcome(
            Classification.NODATA,
            f"{len(canary)} canary and {len(baseline)} baseline points (need {min_points})",
        )
    if sorted(canary) == sorted(baseline):
        return Outcome(Classification.PASS, "identical")
    test = shift_test(canary, baseline, confidence)
    allowed = allowed_change(baseline, tolerance, min_difference)
    interval = f"shift {test.low:.4g}..{test.high:.4g}, allowed ±{allowed:.4g}"
    if direction.bad_if_higher and test.low > allowed:
        return Outcome(Classification.HIGH, f"higher: {interval} (p={test.p_value:.2g})")
    if direction.bad_if_lower and test.high < -allowed:
        return Outcome(Classification.LOW, f"lower: {interval} (p={test.p_value:.2g})")
    return Outcome(Classification.PASS, interval)
