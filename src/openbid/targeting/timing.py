"""Which line items may bid at an instant: flights and hour-of-week schedules, cached.

The answer changes only at a flight's start or end, or when some time zone's local hour turns.
Every UTC offset in use is a multiple of 15 minutes, so local hours turn on UTC quarter hours:
the set is computed once and reused until the next such boundary (a request sees one tuple
read and two comparisons). Line items sharing a flight or a (time zone, schedule) pair are
grouped, so recomputing costs one step per distinct group, not per line item.
"""

import bisect
import math
from zoneinfo import ZoneInfo

from openbid.targeting.bitset import from_positions
from openbid.targeting.dimension import Step
from openbid.targeting.features import RequestFeatures
from openbid.targeting.schedule import EVERY_HOUR, hour_of_week

QUARTER_HOUR = 900.0
Flight = tuple[float | None, float | None]  # start, end (epoch seconds; None: open)


class TimeIndex:
    """Line items by flight and by schedule; the set allowed now is cached between boundaries."""

    __slots__ = (
        "_boundaries", "_cache", "_flight_bits", "_flights", "_no_flight", "_schedule_bits",
        "_schedules", "_unscheduled", "used",
    )  # fmt: skip

    def __init__(self) -> None:
        self._flight_bits: dict[Flight, list[int]] = {}
        self._schedule_bits: dict[tuple[str, int], list[int]] = {}
        self._flights: list[tuple[Flight, int]] = []
        self._schedules: list[tuple[ZoneInfo, int, int]] = []  # zone, 168-bit mask, line items
        self._boundaries: list[float] = []
        self._no_flight = self._unscheduled = 0
        self._cache: tuple[float, float, int] = (math.inf, -math.inf, 0)  # from, until, allowed
        self.used = False

    def add(self, bit: int, flight: Flight, timezone: str, schedule: int) -> None:
        """Register the flight and the schedule (168-bit mask in ``timezone``) of a line item."""
        if flight != (None, None):
            self._flight_bits.setdefault(flight, []).append(bit)
        if schedule != EVERY_HOUR:
            self._schedule_bits.setdefault((timezone, schedule), []).append(bit)

    def freeze(self, everyone: int) -> None:
        """Group the line items; ``everyone`` is the set of all line items."""
        self._flights = [(f, from_positions(bits)) for f, bits in self._flight_bits.items()]
        self._schedules = [
            (ZoneInfo(zone), schedule, from_positions(bits))
            for (zone, schedule), bits in self._schedule_bits.items()
        ]
        self._boundaries = sorted(
            {moment for flight, _ in self._flights for moment in flight if moment is not None}
        )
        self._no_flight, self._unscheduled = everyone, everyone
        for _, bits in self._flights:
            self._no_flight &= ~bits
        for _, _, bits in self._schedules:
            self._unscheduled &= ~bits
        self.used = bool(self._flights or self._schedules)
        self._flight_bits, self._schedule_bits = {}, {}

    def step(self) -> Step:
        """The request-time check: the bound ``restrict``."""
        return self.restrict

    def restrict(self, features: RequestFeatures, mask: int) -> int:
        """``mask`` narrowed to the line items in flight and inside their schedule now."""
        now = features.now
        start, until, allowed = self._cache
        if not start <= now < until:
            allowed = self.allowed_at(now)
        return mask & allowed

    def allowed_at(self, now: float) -> int:
        """Compute (and cache until the next boundary) the line items allowed at ``now``."""
        in_flight = self._no_flight
        for (start, end), bits in self._flights:
            if (start is None or now >= start) and (end is None or now < end):
                in_flight |= bits
        in_schedule = self._unscheduled
        hours: dict[ZoneInfo, int] = {}
        for zone, schedule, bits in self._schedules:
            hour = hours.get(zone)
            if hour is None:
                hour = hours[zone] = hour_of_week(now, zone)
            if schedule >> hour & 1:
                in_schedule |= bits
        allowed = in_flight & in_schedule
        self._cache = (*self._valid_span(now), allowed)
        return allowed

    def _valid_span(self, now: float) -> tuple[float, float]:
        """The span around ``now`` that holds no flight boundary or (with schedules) quarter."""
        start, until = -math.inf, math.inf
        if self._schedules:
            start = now // QUARTER_HOUR * QUARTER_HOUR
            until = start + QUARTER_HOUR
        boundaries = self._boundaries
        after = bisect.bisect_right(boundaries, now)
        if after < len(boundaries):
            until = min(until, boundaries[after])
        if after > 0:
            start = max(start, boundaries[after - 1])
        return start, until
