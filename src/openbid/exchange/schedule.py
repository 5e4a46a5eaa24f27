"""When each request is due: an open-loop schedule at a target rate that may vary over the run.

The schedule is fixed before the run and never waits for answers, so a slow bidder cannot slow
the sender down (and hide its own slowness): that is what makes latency honest.
"""

import math
import random
from collections.abc import Callable, Iterator
from typing import Literal

Shape = Literal["constant", "ramp", "diurnal"]
Arrivals = Literal["uniform", "poisson"]

STEP = 0.001
"""Seconds of schedule integrated at a time; the rate is taken as constant within a step."""
EPSILON = 1e-9
"""A request due this close to the end of the run falls outside it (floating-point sums drift)."""

DAY_CURVE = (
    0.45, 0.35, 0.28, 0.24, 0.22, 0.25, 0.35, 0.50, 0.62, 0.70, 0.75, 0.78,
    0.80, 0.80, 0.80, 0.82, 0.85, 0.90, 0.95, 1.00, 1.00, 0.95, 0.80, 0.60,
)  # fmt: skip
"""Relative traffic at each hour from midnight: a night trough, an evening peak."""


def rate_curve(shape: Shape, rate: float, duration: float) -> Callable[[float], float]:
    """Requests per second at ``t`` seconds into the run.

    ``constant``: ``rate`` throughout. ``ramp``: from 0 up to ``rate`` at the end. ``diurnal``: a
    day compressed into ``duration``, from midnight, peaking at ``rate`` in the evening.
    """
    if shape == "constant":
        return lambda t: rate
    if shape == "ramp":
        return lambda t: rate * t / duration

    def diurnal(t: float) -> float:
        hour = 24.0 * t / duration
        index = int(hour) % 24
        fraction = hour - int(hour)
        low, high = DAY_CURVE[index], DAY_CURVE[(index + 1) % 24]
        return rate * (low + (high - low) * fraction)

    return diurnal


def send_times(
    shape: Shape,
    rate: float,
    duration: float,
    arrivals: Arrivals = "uniform",
    rng: random.Random | None = None,
) -> Iterator[float]:
    """Seconds from the start at which each request is due, in order, all below ``duration``.

    ``uniform`` spaces requests evenly at the current rate (a constant 2,000/s for 5 s is exactly
    10,000 requests); ``poisson`` draws exponential gaps, as independent users would arrive.
    """
    if rate <= 0 or duration <= 0:
        return
    curve = rate_curve(shape, rate, duration)
    rng = rng or random.Random(0)

    def gap() -> float:
        return rng.expovariate(1.0) if arrivals == "poisson" else 1.0

    due = 0.0 if arrivals == "uniform" else gap()  # the expected count at the next send
    expected = 0.0  # the expected count at the start of the step
    end = duration - EPSILON
    for index in range(math.ceil(duration / STEP)):
        start = index * STEP
        step = min(STEP, duration - start)
        per_second = curve(start + step / 2)
        reached = expected + per_second * step
        while due < reached:
            offset = start + (due - expected) / per_second
            if offset >= end:
                return
            yield offset
            due += gap()
        expected = reached
