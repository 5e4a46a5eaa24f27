"""Even pacing: a controller that sets a bid probability (the throttle) toward a spend plan.

The plan spends the daily budget evenly over the local day. Each update the controller
compares what has been spent today with the plan and asks for the plan's rate plus a correction
that closes the gap over ``CORRECTION`` of a day; dividing by the spend rate it would reach at
full throttle (learnt from what the last throttle produced) gives the throttle. When even full
throttle falls behind (quiet hours), the plan is re-drawn from where spend stands, spreading what
is left over the rest of the day: that is the catch-up.

Times are fractions of the day, so the same controller paces a real day or a compressed one.
The spend it sees is up to a lease round old, though, in real time: in a day compressed into
minutes, closing gaps within a fixed fraction of the day would mean acting faster than spend is
seen, and oscillating. So neither horizon is shorter than a few lease rounds of real time.
"""

import math

from openbid.pacing.clock import SECONDS_PER_DAY

CORRECTION = 1 / 240  # of a day: how quickly a gap to the plan is closed (6 minutes)
SMOOTHING = 1 / 240  # of a day: the memory of the full-throttle spend rate
MIN_CORRECTION_SECONDS = 0.5  # real time: two lease rounds
MIN_SMOOTHING_SECONDS = 2.0  # real time: eight lease rounds
LEARN_ABOVE = 0.02  # a throttle this low says too little about the full-throttle rate


class EvenPacer:
    """The pacing state of one daily budget (a line item's, or a campaign's)."""

    __slots__ = (
        "_anchor_fraction", "_anchor_spent", "_correction", "_full_rate", "_last_fraction",
        "_last_spent", "_smoothing", "day", "throttle",
    )  # fmt: skip

    def __init__(self, day_seconds: float = SECONDS_PER_DAY) -> None:
        """A pacer for days of ``day_seconds`` real seconds (fewer than 86400: compressed)."""
        self._correction = max(CORRECTION, MIN_CORRECTION_SECONDS / day_seconds)
        self._smoothing = max(SMOOTHING, MIN_SMOOTHING_SECONDS / day_seconds)
        self.day = ""
        self.throttle = 1.0
        self._anchor_fraction = 0.0
        self._anchor_spent = 0
        self._full_rate = 0.0  # spend per day at full throttle; 0 while unknown
        self._last_fraction = -1.0
        self._last_spent = 0

    def plan(self, fraction: float, daily: int) -> int:
        """Micros the plan has spent by ``fraction`` of the day."""
        if self._anchor_fraction >= 1.0:
            return daily
        share = (fraction - self._anchor_fraction) / (1.0 - self._anchor_fraction)
        return round(self._anchor_spent + (daily - self._anchor_spent) * share)

    def update(self, day: str, fraction: float, spent: int, daily: int) -> float:
        """A new throttle, given today's spend so far at ``fraction`` of ``day``."""
        if day != self.day:
            self.day = day
            self._anchor_fraction, self._anchor_spent = 0.0, 0
            self._last_fraction = -1.0
        self._learn(fraction, spent)
        target = self.plan(fraction, daily)
        if spent >= daily or fraction >= 1.0:
            self.throttle = 0.0
            return self.throttle
        slope = (daily - self._anchor_spent) / (1.0 - self._anchor_fraction)
        wanted = slope + (target - spent) / self._correction
        throttle = 1.0 if self._full_rate <= 0 else min(max(wanted / self._full_rate, 0.0), 1.0)
        if throttle >= 1.0 and spent < target:
            # Behind even at full throttle: spread what is left over the rest of the day.
            self._anchor_fraction, self._anchor_spent = fraction, spent
        self.throttle = throttle
        return throttle

    def _learn(self, fraction: float, spent: int) -> None:
        """Update the full-throttle rate from the spend the last throttle produced."""
        elapsed = fraction - self._last_fraction
        if self._last_fraction >= 0 and elapsed > 0 and self.throttle >= LEARN_ABOVE:
            observed = max(spent - self._last_spent, 0) / elapsed / self.throttle
            if self._full_rate <= 0:
                self._full_rate = observed
            else:
                weight = 1.0 - math.exp(-elapsed / self._smoothing)
                self._full_rate += weight * (observed - self._full_rate)
        if elapsed > 0 or self._last_fraction < 0:
            self._last_fraction, self._last_spent = fraction, spent
