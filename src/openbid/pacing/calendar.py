"""Local days: which day it is in a time zone, and how much of it has passed."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import msgspec


class Day(msgspec.Struct, frozen=True, gc=False):
    """One local calendar day: its ``YYYY-MM-DD`` key and its span in epoch seconds."""

    key: str
    start: float
    end: float

    def fraction(self, now: float) -> float:
        """How much of the day has passed at ``now`` (0 to 1; DST days are 23 or 25 hours)."""
        return min(max((now - self.start) / (self.end - self.start), 0.0), 1.0)


def local_day(now: float, zone: ZoneInfo) -> Day:
    """The day in ``zone`` that contains ``now``."""
    date = datetime.fromtimestamp(now, zone).date()
    start = datetime.combine(date, time(0), zone).timestamp()
    end = datetime.combine(date + timedelta(days=1), time(0), zone).timestamp()
    return Day(date.isoformat(), start, end)


class Days:
    """The current day of each time zone in use, recomputed only when a day turns."""

    __slots__ = ("_days", "_zones")

    def __init__(self) -> None:
        self._zones: dict[str, ZoneInfo] = {}
        self._days: dict[str, Day] = {}

    def today(self, zone_name: str, now: float) -> Day:
        """The day in ``zone_name`` at ``now``."""
        day = self._days.get(zone_name)
        if day is None or not day.start <= now < day.end:
            zone = self._zones.get(zone_name)
            if zone is None:
                zone = self._zones[zone_name] = ZoneInfo(zone_name)
            day = self._days[zone_name] = local_day(now, zone)
        return day
