"""Hour-of-week schedules: windows compiled to 168-bit masks, and local hours in time zones."""

from datetime import datetime
from zoneinfo import ZoneInfo

import msgspec
import pytest

from openbid.catalog.model import Window
from openbid.targeting.schedule import (
    EVERY_HOUR,
    clock_minutes,
    compile_schedule,
    hour_of_week,
    window_hours,
)

MON, FRI, SAT, SUN = 0, 4, 5, 6


def _window(**fields: object) -> Window:
    return msgspec.convert(fields, Window)


def _hours(mask: int) -> list[int]:
    return [hour for hour in range(168) if mask >> hour & 1]


def test_clock_minutes() -> None:
    assert clock_minutes("00:00") == 0
    assert clock_minutes("09:30") == 570
    assert clock_minutes("24:00") == 1440


def test_no_window_means_every_hour() -> None:
    assert compile_schedule([]) == EVERY_HOUR
    assert EVERY_HOUR.bit_length() == 168


def test_working_hours_on_weekdays() -> None:
    mask = compile_schedule([_window(days=["mon", "fri"], **{"from": "09:00", "to": "17:00"})])
    assert _hours(mask) == [*range(9, 17), *range(24 * FRI + 9, 24 * FRI + 17)]


def test_window_without_days_is_every_day() -> None:
    hours = window_hours(_window(**{"from": "18:00", "to": "24:00"}))
    assert sorted(hours) == [24 * day + hour for day in range(7) for hour in range(18, 24)]


def test_window_across_midnight_runs_into_the_next_day() -> None:
    hours = window_hours(_window(days=["fri"], **{"from": "22:00", "to": "02:00"}))
    assert hours == [24 * FRI + 22, 24 * FRI + 23, 24 * SAT, 24 * SAT + 1]


def test_sunday_night_wraps_into_monday() -> None:
    hours = window_hours(_window(days=["sun"], **{"from": "23:00", "to": "01:00"}))
    assert hours == [24 * SUN + 23, 24 * MON]


def test_overlapping_windows_are_a_union() -> None:
    mask = compile_schedule(
        [
            _window(days=["mon"], **{"from": "08:00", "to": "12:00"}),
            _window(days=["mon"], **{"from": "10:00", "to": "14:00"}),
        ]
    )
    assert _hours(mask) == list(range(8, 14))


@pytest.mark.parametrize(
    ("moment", "zone", "expected"),
    [
        ("2026-06-01T00:30:00+00:00", "UTC", 0),  # Monday 00:30
        ("2026-06-01T14:00:00+00:00", "America/New_York", 10),  # 10:00 EDT
        ("2026-01-05T14:00:00+00:00", "America/New_York", 9),  # 09:00 EST in winter
        ("2026-06-01T00:30:00+00:00", "America/Los_Angeles", 24 * SUN + 17),  # Sunday
        ("2026-06-01T04:00:00+00:00", "Asia/Kolkata", 9),  # UTC+05:30: 09:30
        ("2026-06-07T23:30:00+00:00", "Asia/Tokyo", 8),  # already Monday in Tokyo
    ],
)
def test_hour_of_week_in_a_time_zone(moment: str, zone: str, expected: int) -> None:
    now = datetime.fromisoformat(moment).timestamp()
    assert hour_of_week(now, ZoneInfo(zone)) == expected
