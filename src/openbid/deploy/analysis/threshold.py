"""The simple judge: the canary's mean against the baseline's mean, and against fixed bounds.

A metric fails when the canary's mean is outside ``min``/``max`` (when given), or when it moved
from the baseline's mean, in the bad direction, by more than ``tolerance`` times the baseline's
mean and at least ``min_difference``.
"""

from openbid.deploy.analysis.model import Classification, Direction, Outcome, Samples


def _mean(values: tuple[float, ...]) -> float:
    return sum(values) / len(values)


def judge_threshold(
    samples: Samples,
    direction: Direction,
    *,
    tolerance: float,
    min_difference: float,
    minimum: float | None,
    maximum: float | None,
    min_points: int,
) -> Outcome:
    """Classify one metric by means and bounds."""
    canary, baseline = samples.canary, samples.baseline
    if min(len(canary), len(baseline)) < min_points:
        return Outcome(
            Classification.NODATA,
            f"{len(canary)} canary and {len(baseline)} baseline points (need {min_points})",
        )
    ours, theirs = _mean(canary), _mean(baseline)
    if maximum is not None and ours > maximum:
        return Outcome(Classification.HIGH, f"mean {ours:.4g} above the maximum {maximum:.4g}")
    if minimum is not None and ours < minimum:
        return Outcome(Classification.LOW, f"mean {ours:.4g} below the minimum {minimum:.4g}")
    allowed = max(tolerance * abs(theirs), min_difference)
    change = ours - theirs
    summary = f"mean {ours:.4g} vs {theirs:.4g}, allowed ±{allowed:.4g}"
    if direction.bad_if_higher and change > allowed:
        return Outcome(Classification.HIGH, f"higher: {summary}")
    if direction.bad_if_lower and change < -allowed:
        return Outcome(Classification.LOW, f"lower: {summary}")
    return Outcome(Classification.PASS, summary)
