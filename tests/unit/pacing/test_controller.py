"""Even pacing against a simulated market: the controller alone, on a fake clock.

The market offers a full-throttle spend rate that follows the exchange simulator's diurnal
curve; impressions arrive as a Poisson process at ``rate * throttle``. Hours are checked
against the even plan (the daily budget / 24), as the end-to-end test does with real processes.
"""

import math
import random

import pytest

from openbid.exchange.schedule import rate_curve
from openbid.pacing.controller import EvenPacer

TICKS_PER_HOUR = 40  # the pacing loop's 0.25 s rounds in a 10 s compressed hour
COST = 8000  # micros per impression


def _poisson(rng: random.Random, mean: float) -> int:
    if mean > 50:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _day(
    seed: int,
    daily: int,
    peak_per_hour: float,
    quiet: range = range(0),
    *,
    pacer: EvenPacer | None = None,
    ticks_per_hour: int = TICKS_PER_HOUR,
    late: int = 0,
) -> tuple[list[int], EvenPacer]:
    """Spend per hour over one day; no supply at all in the ``quiet`` hours. The pacer sees
    the spend as it stood ``late`` rounds ago."""
    rng = random.Random(seed)
    curve = rate_curve("diurnal", peak_per_hour * 24, 1.0)  # impressions per day, by fraction
    pacer = pacer or EvenPacer()
    spent = 0
    seen = [0] * (late + 1)
    hours = [0] * 24
    ticks = 24 * ticks_per_hour
    for tick in range(ticks):
        fraction = tick / ticks
        throttle = pacer.update("2026-06-01", fraction, seen[-1 - late], daily)
        hour = int(fraction * 24)
        supply = 0.0 if hour in quiet else curve(fraction + 0.5 / ticks) / ticks
        gained = _poisson(rng, supply * throttle) * COST
        spent += gained
        hours[hour] += gained
        seen.append(spent)
    return hours, pacer


@pytest.mark.parametrize("seed", range(8))
def test_every_hour_after_the_first_is_within_ten_percent_of_plan(seed: int) -> None:
    peak = 3000.0  # impressions per hour at the evening peak, full throttle
    daily = round(0.55 * 0.22 * peak * 24 * COST)  # the trough can deliver 1.8x the plan
    hours, _ = _day(seed, daily, peak)
    plan = daily / 24
    errors = [abs(spent - plan) / plan for spent in hours[1:]]
    assert max(errors) <= 0.10, [round(e, 3) for e in errors]
    assert abs(sum(hours) - daily) <= 0.02 * daily


@pytest.mark.parametrize("seed", range(8))
def test_a_compressed_day_with_spend_seen_a_round_late_does_not_oscillate(seed: int) -> None:
    # 96 s of real time a day: the 0.25 s lease rounds are 16 an hour, and each round sees the
    # spend of the round before. Horizons of a fixed share of the day would be shorter than that.
    peak = 3000.0
    daily = round(0.55 * 0.22 * peak * 24 * COST)
    hours, _ = _day(seed, daily, peak, pacer=EvenPacer(day_seconds=96), ticks_per_hour=16, late=1)
    plan = daily / 24
    errors = [abs(spent - plan) / plan for spent in hours[1:]]
    assert max(errors) <= 0.10, [round(e, 3) for e in errors]


def test_quiet_hours_are_caught_up_over_the_rest_of_the_day() -> None:
    peak = 3000.0
    daily = round(0.4 * 0.22 * peak * 24 * COST)
    hours, _ = _day(1, daily, peak, quiet=range(2, 6))
    assert sum(hours[2:6]) == 0
    assert sum(hours) >= 0.97 * daily  # the four lost hours are spent later in the day
    later = hours[7:]
    catch_up = (daily - sum(hours[:6])) / 18
    assert max(abs(h - catch_up) / catch_up for h in later) <= 0.15


def test_a_spent_budget_stops_and_a_new_day_starts_over() -> None:
    pacer = EvenPacer()
    assert pacer.update("d1", 0.5, 1000, 1000) == 0.0
    assert pacer.plan(0.5, 1000) == 500
    assert pacer.update("d2", 0.0, 0, 1000) == 1.0  # nothing learnt to hold back with
    assert pacer.day == "d2"


def test_ahead_of_plan_holds_back() -> None:
    pacer = EvenPacer()
    pacer.update("d", 0.10, 0, 24_000)
    throttle = pacer.update("d", 0.11, 5_000, 24_000)  # far more than the plan's 2,640
    assert throttle == 0.0
