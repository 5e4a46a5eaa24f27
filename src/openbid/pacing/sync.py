"""The pacing loop: keeps this instance's leases, throttles and caps in step with the ledger.

Every ``interval`` it lets lapsed leases go, reports commitments and tops allowances up (one
batch for all line items), and updates each paced budget's throttle from the day's spend. Notices
are applied as they come (batched while a batch is in flight), and slot claims for frequency
caps are sent within milliseconds. When the ledger is unreachable the state turns ``degraded``:
bids go on from the leases still held until they lapse, notices queue (up to ``MAX_QUEUE``),
and everything resumes by itself when the ledger answers again. A ledger that lost its data is
restored from what this instance wrote to it and the allowances it holds.
"""

import asyncio
import contextlib
import logging
import math
from collections import deque
from collections.abc import Awaitable
from typing import TypeVar

from openbid.pacing.allowance import Allowance
from openbid.pacing.health import DEGRADED
from openbid.pacing.ledger import GenerationLost, Ledger, LedgerUnavailable, NoticeEffect
from openbid.pacing.state import PacingState

log = logging.getLogger("openbid.pacing")
T = TypeVar("T")

SYNC_INTERVAL = 0.25  # seconds between lease rounds
LEASE_SECONDS = 10.0  # an allowance lapses this long after the ledger last answered for it
MIN_ROUND_SECONDS = 0.005  # lease rounds woken by a dry allowance come at most this often
IO_INTERVAL = 0.005  # seconds between checks for slot claims to send
MAX_BATCH = 2000  # notices per ledger call
MAX_QUEUE = 1_000_000  # notices kept while the ledger is unreachable
RETRY_SECONDS = 0.5  # pause after a failed ledger call
SWEEP_SECONDS = 60.0  # how often the cap cache forgets users with nothing left to count
STATUS_SECONDS = 1.0  # how often this instance's state is published for `openbid pacing show`


class PacingLoop:
    """Drives one instance's pacing state against the ledger."""

    def __init__(
        self,
        state: PacingState,
        ledger: Ledger,
        interval: float = SYNC_INTERVAL,
        lease_seconds: float = LEASE_SECONDS,
    ) -> None:
        self.state = state
        self.ledger = ledger
        self.interval = interval
        self.lease_seconds = lease_seconds if ledger.shared else math.inf
        self._queue: deque[NoticeEffect] = deque()
        self._wake = asyncio.Event()  # notices are waiting
        self._dry = asyncio.Event()  # an allowance ran dry: renew now, not at the next round
        state.ran_dry = self._dry.set
        self.dropped = 0  # notices dropped because the queue was full
        # What this instance charged, by (scope, day; "" for the total): restored after data loss.
        self.spent: dict[tuple[str, str], int] = {}

    @property
    def queued(self) -> int:
        """Notices waiting for the ledger."""
        return len(self._queue)

    def submit(self, effect: NoticeEffect) -> None:
        """Queue a notice's effect for the ledger (from the notice endpoints)."""
        queue = self._queue
        if len(queue) >= MAX_QUEUE:
            queue.popleft()
            self.dropped += 1
        queue.append(effect)
        self._wake.set()

    async def run(self) -> None:
        """Run until cancelled."""
        await asyncio.gather(
            self._lease_rounds(),
            self._notices(),
            self._claims(),
            self._sweep(),
            self._status(),
            self.ledger.listen(self._caps_ready),
        )

    def _caps_ready(self) -> None:
        """The ledger's view of frequency caps is complete: bids need leases only at the end."""
        self.state.caps.strict = False

    async def _lease_rounds(self) -> None:
        while True:
            self._dry.clear()
            await self.tick()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.interval):
                    await asyncio.sleep(MIN_ROUND_SECONDS)
                    await self._dry.wait()

    async def _ledger(self, what: str, call: Awaitable[T]) -> T | None:
        """Await a ledger call; on failure note it (degraded, or restore a ledger that lost its
        data) and return None."""
        health = self.state.health
        try:
            result = await call
        except LedgerUnavailable as error:
            if health.failed(error):
                log.warning("pacing ledger unreachable (%s): %s", what, error)
            self.state.caps.strict = self.ledger.shared
            return None
        except GenerationLost:
            log.warning("pacing ledger lost its data; restoring what this instance knows")
            await self._ledger("restore", self._restore())
            return None
        if health.state == DEGRADED:
            log.info("pacing ledger reachable again")
        health.succeeded()
        return result

    async def tick(self) -> None:
        """One lease round, then the throttles."""
        state = self.state
        now = state.clock.monotonic()
        for allowance in state.allowances.values():
            if allowance.lapse(now):
                state.refresh(allowance)
        await self._ledger("leases", self._renew(now))
        self._update_throttles()

    def _day(self, allowance: Allowance) -> str:
        state = self.state
        return state.days.today(allowance.rules.timezone, state.clock.calendar()).key

    async def _renew(self, now: float) -> None:
        state = self.state
        in_service = state.by_id
        due = [
            allowance
            for line_item, allowance in state.allowances.items()
            if allowance.due(now) or line_item not in in_service
        ]
        if not due:
            return
        renewals = [
            allowance.renewal(
                self._day(allowance), now, release=allowance.rules.id not in in_service
            )
            for allowance in due
        ]
        grants = await self.ledger.renew(renewals)
        for allowance, grant in zip(due, grants, strict=True):
            allowance.granted(grant, now, self.lease_seconds)
            if allowance.rules.id not in in_service:
                del state.allowances[allowance.rules.id]  # retired and given back
            else:
                state.refresh(allowance)

    def _update_throttles(self) -> None:
        """Each paced budget's throttle, from today's spend as the ledger last reported it."""
        state = self.state
        calendar = state.clock.calendar()
        spent: dict[str, int] = {}
        for allowance in state.allowances.values():
            grant, pace = allowance.grant, allowance.rules.pace
            if grant is None or pace is None or allowance.day != self._day(allowance):
                continue
            value = grant.line_item_day if pace.key.startswith("l:") else grant.campaign_day
            spent[pace.key] = max(spent.get(pace.key, 0), value)
        throttles: dict[str, float] = {}
        for item in state.rules:
            pace = item.pace
            if pace is None or pace.daily is None:
                continue
            throttle = throttles.get(pace.key)
            if throttle is None:
                day = state.days.today(item.timezone, calendar)
                pacer = state.pacers[pace.key]
                throttle = pacer.update(
                    day.key, day.fraction(calendar), spent.get(pace.key, 0), pace.daily
                )
                throttles[pace.key] = throttle
            state.set_throttle(item.bit, throttle)

    async def _notices(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._queue:
                if not await self.flush():
                    await asyncio.sleep(RETRY_SECONDS)

    async def flush(self) -> bool:
        """Send one batch of queued notices; False when the ledger did not take it."""
        queue = self._queue
        batch = [queue.popleft() for _ in range(min(len(queue), MAX_BATCH))]
        if not batch:
            return True
        outcome = await self._ledger("notices", self.ledger.apply(batch))
        if outcome is None:
            queue.extendleft(reversed(batch))
            return False
        spent = self.spent
        for effect, applied in zip(batch, outcome, strict=True):
            charge = effect.charge
            if applied and charge is not None and charge.spend:
                scopes = [f"l:{charge.line_item}"]
                if charge.campaign:
                    scopes.append(f"c:{charge.campaign}")
                for scope in scopes:
                    for key in ((scope, ""), (scope, charge.day)):
                        spent[key] = spent.get(key, 0) + charge.spend
        return True

    async def _claims(self) -> None:
        caps = self.state.caps
        while True:
            await asyncio.sleep(IO_INTERVAL)
            claims = caps.take_claims()
            if not claims:
                continue
            replies = await self._ledger("caps", self.ledger.claim(claims))
            if replies is not None:
                now = self.state.clock.monotonic()
                for sent, reply in zip(claims, replies, strict=True):
                    caps.answered(sent, reply, now)

    async def _sweep(self) -> None:
        state = self.state
        while True:
            await asyncio.sleep(SWEEP_SECONDS)
            windows = [r.seconds for item in state.rules for s in item.scopes for r in s.caps]
            keep = max(windows, default=0)
            state.caps.sweep(state.clock.wall(), state.clock.monotonic(), keep)

    async def _status(self) -> None:
        if not self.ledger.shared:
            return  # one process: nothing to publish (its admin API reads the state itself)
        state = self.state
        while True:
            await asyncio.sleep(STATUS_SECONDS)
            document = {
                "health": state.health.snapshot(),
                "queued_notices": self.queued,
                "dropped_notices": self.dropped,
                "line_items": {item.id: state.line_item_state(item.id) for item in state.rules},
            }
            with contextlib.suppress(LedgerUnavailable):
                await self.ledger.publish(document)

    async def _restore(self) -> None:
        """Write back what this instance charged and holds, if the ledger lost its data."""
        if await self.ledger.recover():
            leases = [
                (allowance.rules.id, allowance.rules.campaign_id, allowance.balance)
                for allowance in self.state.allowances.values()
                if allowance.balance > 0
            ]
            await self.ledger.restore(dict(self.spent), leases)

    async def finish(self, timeout: float) -> None:
        """At shutdown: apply the queued notices and give every allowance back, within
        ``timeout`` seconds."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                while self._queue and await self.flush():
                    pass
                now = self.state.clock.monotonic()
                allowances = list(self.state.allowances.values())
                renewals = [a.renewal(self._day(a), now, release=True) for a in allowances]
                if renewals:
                    await self._ledger("release", self.ledger.renew(renewals))
        await self.ledger.close()
