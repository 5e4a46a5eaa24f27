"""Hour-of-week schedules: catalog windows compiled to a 168-bit mask, and the hour of an instant.

Bit ``24 * day + hour`` (Monday = day 0) is set when the line item may bid in that local hour.
"""

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from openbid.catalog.model import Weekday, Window

HOURS_PER_WEEK = 7 * 24
EVERY_HOUR = (1 << HOURS_PER_WEEK) - 1
DAY_NUMBERS = {day: number for number, day in enumerate(Weekday)}


def clock_minutes(text: str) -> int:
    """Minutes after midnight of an ``HH:MM`` time (``24:00`` is 1440)."""
    hours, _, minutes = text.partition(":")
    return int(hours) * 60 + int(minutes)


def window_hours(window: Window) -> list[int]:
    """The hours of the week a window covers; one whose ``to`` is not after ``from`` runs past
    midnight into the next day (Sunday into Monday)."""
    start, end = clock_minutes(window.from_) // 60, clock_minutes(window.to) // 60
    if end <= start:
        end += 24
    days = [DAY_NUMBERS[day] for day in window.days] or range(7)
    return [(24 * day + hour) % HOURS_PER_WEEK for day in days for hour in range(start, end)]


def compile_schedule(windows: Sequence[Window]) -> int:
    """The 168-bit mask of the hours any window covers; every hour when there is no window."""
    if not windows:
        return EVERY_HOUR
    mask = 0
    for window in windows:
        for hour in window_hours(window):
            mask |= 1 << hour
    return mask


def hour_of_week(now: float, zone: ZoneInfo) -> int:
    """The local hour of the week (0 = Monday 00:00-01:00) at epoch seconds ``now`` in ``zone``."""
    local = datetime.fromtimestamp(now, zone)
    return 24 * local.weekday() + local.hour
