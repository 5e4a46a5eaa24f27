"""The open-loop schedule: how many requests are due, and when (test_exchange_loadgen.py
measures that the sender keeps to it)."""

import itertools
import random

import pytest

from openbid.exchange.schedule import rate_curve, send_times


def test_constant_uniform_schedule_is_exact() -> None:
    times = list(send_times("constant", 2000, 5))
    assert len(times) == 10_000
    assert times[0] == 0.0
    assert times[1] == pytest.approx(0.0005)
    assert times[-1] == pytest.approx(4.9995)


@pytest.mark.parametrize("shape", ["constant", "ramp", "diurnal"])
@pytest.mark.parametrize("arrivals", ["uniform", "poisson"])
def test_every_schedule_is_ordered_and_inside_the_run(shape: str, arrivals: str) -> None:
    times = list(send_times(shape, 500, 4, arrivals, random.Random(3)))  # type: ignore[arg-type]
    assert times == sorted(times)
    assert times[0] >= 0
    assert times[-1] < 4


def test_ramp_sends_half_of_a_constant_run_and_speeds_up() -> None:
    times = list(send_times("ramp", 1000, 4))
    assert len(times) == pytest.approx(2000, abs=1)
    first_half = sum(1 for t in times if t < 2)
    assert first_half == pytest.approx(500, abs=2)  # a quarter of the area under the line


def test_diurnal_curve_has_a_night_trough_and_an_evening_peak() -> None:
    curve = rate_curve("diurnal", 1000, 24)  # one second per hour
    assert curve(4) == pytest.approx(220)
    assert curve(19.5) == pytest.approx(1000)
    times = list(send_times("diurnal", 1000, 24))
    night = sum(1 for t in times if 2 <= t < 6)
    evening = sum(1 for t in times if 18 <= t < 22)
    assert evening > 3 * night


def test_poisson_arrivals_average_the_rate() -> None:
    times = list(send_times("constant", 1000, 10, "poisson", random.Random(7)))
    assert len(times) == pytest.approx(10_000, rel=0.03)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert max(gaps) > 3 * min(g for g in gaps if g > 0)  # irregular, unlike uniform spacing


def test_the_same_seed_gives_the_same_poisson_schedule() -> None:
    first = list(send_times("constant", 200, 2, "poisson", random.Random(5)))
    again = list(send_times("constant", 200, 2, "poisson", random.Random(5)))
    assert first == again
