"""The pacing subsystem's clocks: monotonic for leases and deadlines, a calendar clock for days.

Daily budgets and spend plans follow the advertiser's local day. For tests the calendar clock can
run faster than the wall clock (``day_seconds`` of real time make one calendar day, counted from
``origin``), so a whole day of pacing plays out in minutes; leases, exposure windows and every
deadline stay in real time.
"""

import time

SECONDS_PER_DAY = 86400.0


class PacingClock:
    """Real monotonic time, and calendar time that may be compressed for tests."""

    __slots__ = ("_factor", "_origin", "day_seconds")

    def __init__(self, day_seconds: float = SECONDS_PER_DAY, origin: float | None = None) -> None:
        if day_seconds <= 0:
            raise ValueError("a pacing day lasts a positive number of seconds")
        self.day_seconds = day_seconds
        self._factor = SECONDS_PER_DAY / day_seconds
        # Compressed days are counted from a real midnight (UTC) so that instances agree.
        self._origin = (
            time.time() // SECONDS_PER_DAY * SECONDS_PER_DAY if origin is None else origin
        )

    @property
    def compressed(self) -> bool:
        """Whether calendar time runs faster than real time."""
        return self._factor != 1.0

    def monotonic(self) -> float:
        """Seconds on the monotonic clock: for leases, expiries and deadlines."""
        return time.monotonic()

    def wall(self) -> float:
        """Real epoch seconds: for issue times and exposure windows shared between instances."""
        return time.time()

    def calendar(self) -> float:
        """Epoch seconds on the calendar clock: what days, daily budgets and plans follow."""
        now = time.time()
        if self._factor == 1.0:
            return now
        return (now - self._origin) * self._factor
