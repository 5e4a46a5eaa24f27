"""Load shedding: when requests wait for the event loop, answer a growing share of bid requests
with a precomputed no-bid before any decoding, so the rest are still answered within their
deadline instead of every request queueing past it.

The signal is how late a timer fires on the loop, sampled every ``interval``: the time a newly
arrived request waits before the loop gets to it. It covers both ways a bidder falls behind —
more requests than one core can answer, and a container's CPU quota running out (a 0.25-vCPU
Fargate task is stopped for the rest of each CFS period). While the lateness is over
``lag_high`` the shed fraction grows by ``step_up``; once it is under ``lag_low`` it shrinks by
``step_down`` (additive increase and decrease: it settles where the loop just keeps up).

As in CoDel, shedding starts only on a standing queue, not a burst: ``sustain`` late samples in
a row (100 ms by default) before the first shed request, so one stall of the loop — a garbage
collection, a catalog swap, a noisy neighbour — sheds nothing. Once shedding, every late sample
counts, so the fraction follows the load without that delay.

The samples come every 50 ms, and a sudden flood queues for that long before the fraction moves.
So each request is also judged on its own: the loop reads every connection that is ready, one
after the other, in one turn, and a request read ``turn_budget`` after its turn began has waited
at least that long (it arrived before the turn began). Once the previous turn was that long too
(a standing queue again, not one slow request or one burst), such a request is shed at once;
the turn then ends quickly and the next one reads fresher requests. A stall between turns (a
collection, a catalog swap) makes no turn long by itself.
"""

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ShedPolicy:
    """When the loop counts as behind, and how fast the shed fraction follows."""

    interval: float = 0.05  # seconds between samples
    lag_high: float = 0.005  # seconds a sample fired late that mean requests are queueing
    lag_low: float = 0.002  # ... and that mean there is room again
    step_up: float = 0.10
    step_down: float = 0.02
    max_fraction: float = 0.95  # a trickle always reaches the bidder, so recovery is seen
    sustain: int = 2  # late samples in a row before shedding starts
    turn_budget: float = 0.02  # seconds into a loop turn after which requests read are shed


class LoadShedder:
    """The share of sheddable requests to answer at once with a no-bid, and how many were."""

    def __init__(
        self,
        policy: ShedPolicy = ShedPolicy(),
        clock: Callable[[], float] = time.monotonic,
        draw: Callable[[], float] = random.random,
    ) -> None:
        self.policy = policy
        self._clock = clock
        self._draw = draw
        self.fraction = 0.0
        self.shed = 0  # requests answered with the shed response
        self.lag = 0.0  # the last sample's lateness, seconds
        self._late_in_a_row = 0
        self._after_long_turn = False  # the last turn that read bid requests outlasted the budget

    def should_shed(self, into_turn: float) -> bool:
        """Whether to shed a request read ``into_turn`` seconds after its loop turn began
        (counted when so)."""
        fraction = self.fraction
        if (self._after_long_turn and into_turn > self.policy.turn_budget) or (
            fraction and self._draw() < fraction
        ):
            self.shed += 1
            return True
        return False

    def turn_ended(self, length: float) -> None:
        """A loop turn that read bid requests took ``length`` seconds from the first one."""
        self._after_long_turn = length > self.policy.turn_budget

    def sample(self, lag: float) -> None:
        """Take one sample (``lag``: how late it fired) and move the fraction."""
        self.lag = lag
        policy = self.policy
        if lag >= policy.lag_high:
            self._late_in_a_row += 1
            if self.fraction or self._late_in_a_row >= policy.sustain:
                self.fraction = min(policy.max_fraction, self.fraction + policy.step_up)
            return
        self._late_in_a_row = 0
        if lag <= policy.lag_low:
            self.fraction = max(0.0, self.fraction - policy.step_down)

    async def run(self) -> None:
        """Sample every ``policy.interval`` until cancelled."""
        interval = self.policy.interval
        clock = self._clock
        while True:
            due = clock() + interval
            await asyncio.sleep(interval)
            self.sample(max(0.0, clock() - due))
