"""Even pacing, measured: a line item's daily budget over a day compressed into two minutes of
diurnal simulator traffic, two ``openbid serve`` processes sharing it through Redis.
After the first hour of traffic (while the controller learns what full throttle buys) every
compressed hour spends within 10% of the plan's hour, though the traffic swings by four to
one."""

import time
from pathlib import Path

import pytest
from pacing_harness import (
    MICROS,
    SHARED_REDIS_URL,
    Fleet,
    Probe,
    catalog,
    profile,
    shared_prefix,
    simulate,
    total,
    write_json,
)

__all__ = ["shared_prefix"]  # the fixture, used by name
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

INSTANCES = 2
DAY_SECONDS = 120.0  # one compressed day: five seconds an hour
PEAK_RATE = 800.0  # requests per second at the evening peak, all instances together
DAILY = 34  # USD: at a 4.00 CPM, about half of what the quietest hour could buy
TOLERANCE = 0.10
START_LEAD = 12.0  # seconds from starting the bidders to the pacing day's midnight


def test_even_pacing_follows_the_plan_hour_by_hour(shared_prefix: str, tmp_path: Path) -> None:
    prefix, url = shared_prefix, SHARED_REDIS_URL
    catalog_path = write_json(
        tmp_path / "catalog.json",
        catalog(
            [{"id": "cmp-even"}],
            [
                {
                    "id": "li-even",
                    "campaign_id": "cmp-even",
                    "bid": {"strategy": "fixed_cpm", "cpm": "4"},
                    "budget": {"daily": str(DAILY)},
                    "pacing": "even",
                }
            ],
        ),
    )
    profile_path = write_json(tmp_path / "profile.json", profile(100_000, render_rate=1.0))
    origin = time.time() + START_LEAD  # midnight, 1970-01-01, on the compressed calendar
    day = ["--pacing-day-seconds", str(DAY_SECONDS), "--pacing-day-origin", str(origin)]
    spent_key = f"{prefix}:s:l:li-even:d:1970-01-01"
    with Fleet(INSTANCES, catalog_path, url, prefix, tmp_path, day) as fleet:
        time.sleep(max(0.0, origin - time.time()))
        midnight = time.monotonic()
        urls = [b.bid_url for b in fleet.bidders]
        rate = PEAK_RATE / INSTANCES
        with (
            Probe(url, [spent_key], interval=0.02) as probe,
            simulate(urls, profile_path, rate=rate, duration=DAY_SECONDS, shape="diurnal") as runs,
        ):
            reports = runs.reports()
        assert fleet.stop() == [0] * INSTANCES
    assert total(reports, "errors") == 0

    hour = DAY_SECONDS / 24
    spent = [
        probe.value_at(midnight + (h + 1) * hour) - probe.value_at(midnight + h * hour)
        for h in range(24)
    ]
    flat = [amount / (DAILY * MICROS / 24) - 1 for amount in spent]
    print("hourly error vs daily/24:", " ".join(f"{e:+.3f}" for e in flat))
    # The plan is even over the day; the hour traffic starts in (the simulators are started at
    # midnight and take seconds to send, more on a busy machine) is where the controller learns
    # what full throttle buys and re-draws the plan over the hours left.
    first = next(h for h, amount in enumerate(spent) if amount > 0)
    assert first <= 4, spent
    planned = (DAILY * MICROS - sum(spent[: first + 1])) / (23 - first)
    errors = [amount / planned - 1 for amount in spent[first + 1 :]]
    print(f"hourly error vs the plan after hour {first}:", " ".join(f"{e:+.3f}" for e in errors))
    worst = max(errors, key=abs)
    print(f"worst: {worst:+.3f}; spent by midnight {sum(spent) / MICROS:.3f} of {DAILY}")
    assert abs(worst) <= TOLERANCE, errors
    assert probe.value_at(midnight + DAY_SECONDS) <= DAILY * MICROS
