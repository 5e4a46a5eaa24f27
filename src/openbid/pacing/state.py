"""The pacing state the bid path consults: which line items may bid now, for whom, at what odds.

Everything a request needs is kept as bitsets over the compiled line items (the same bits as the
targeting index), so a request costs a few integer operations plus one random draw per paced
candidate and one cache lookup per capped candidate. The background loop
(:mod:`openbid.pacing.sync`) changes the state; the bid path only reads it and commits bids.
"""

import random
from collections.abc import Callable

from openbid.openrtb.model import BidRequest
from openbid.pacing.allowance import Allowance
from openbid.pacing.calendar import Days
from openbid.pacing.caps import CapBook
from openbid.pacing.clock import PacingClock
from openbid.pacing.controller import EvenPacer
from openbid.pacing.health import BackendHealth
from openbid.pacing.rules import LineItemRules
from openbid.pacing.userkey import user_key
from openbid.targeting.bitset import iter_bits

OUT_OF_BUDGET = "out_of_budget"
FREQUENCY_CAPPED = "frequency_capped"
PACED = "paced"


def _nothing() -> None:
    """Nobody to tell."""


class PacingState:
    """Budget allowances, throttles and caps of the line items in service, by bit."""

    def __init__(
        self,
        clock: PacingClock,
        caps: CapBook,
        health: BackendHealth,
        draw: Callable[[], float] = random.random,
    ) -> None:
        self.clock = clock
        self.caps = caps
        self.health = health
        self._draw = draw
        self.rules: tuple[LineItemRules, ...] = ()
        self.by_id: dict[str, LineItemRules] = {}
        self.days = Days()
        self.allowances: dict[str, Allowance] = {}  # by line item id, retired ones included
        self.pacers: dict[str, EvenPacer] = {}  # by pace scope key
        self._by_bit: list[Allowance | None] = []
        self.throttles: list[float] = []  # by bit
        self.open_mask = 0  # line items budgets let bid now
        self.throttled_mask = 0  # line items bidding at a probability under 1
        self.capped_mask = 0  # line items with frequency caps
        self.ran_dry: Callable[[], None] = _nothing  # told when an allowance runs dry

    def bind(self, rules: tuple[LineItemRules, ...]) -> None:
        """Follow a new catalog snapshot: its line items' bits, keeping each one's lease."""
        self.rules = rules
        self.by_id = {item.id: item for item in rules}
        by_bit: list[Allowance | None] = []
        open_mask = capped = 0
        for item in rules:
            allowance = None
            if item.budgeted:
                allowance = self.allowances.get(item.id)
                if allowance is None:
                    allowance = self.allowances[item.id] = Allowance(item)
                allowance.rules = item
                if allowance.usable:
                    open_mask |= 1 << item.bit
            else:
                open_mask |= 1 << item.bit
            if item.capped:
                capped |= 1 << item.bit
            if item.pace is not None and item.pace.key not in self.pacers:
                self.pacers[item.pace.key] = EvenPacer(self.clock.day_seconds)
            by_bit.append(allowance)
        self._by_bit = by_bit
        self.throttles = [1.0] * len(rules)
        self.throttled_mask = 0
        self.capped_mask = capped
        self.open_mask = open_mask

    # the bid path

    def admit(self, mask: int, user: str | None) -> int:
        """``mask`` narrowed to the line items budgets, pacing and caps let bid on this request."""
        mask &= self.open_mask
        paced = mask & self.throttled_mask
        if paced:
            draw, throttles = self._draw, self.throttles
            for bit in iter_bits(paced):
                if draw() >= throttles[bit]:
                    mask ^= 1 << bit
        capped = mask & self.capped_mask
        if capped:
            if user is None:
                return mask ^ capped
            clock, caps, rules = self.clock, self.caps, self.rules
            wall, now = clock.wall(), clock.monotonic()
            for bit in iter_bits(capped):
                if not caps.allows(user, rules[bit], wall, now):
                    mask ^= 1 << bit
        return mask

    def commit(self, bit: int, cost: int, second: int, user: str | None, bid_id: str) -> bool:
        """Commit a chosen bid; False when its line item's allowance cannot cover it."""
        allowance = self._by_bit[bit]
        if allowance is not None:
            if not allowance.commit(cost, second):
                self.close(bit)
                self.ran_dry()
                return False
            if not allowance.usable:
                self.close(bit)
                self.ran_dry()
        if user is not None and self.capped_mask >> bit & 1:
            self.caps.bid(user, self.rules[bit], bid_id, self.clock.monotonic())
        return True

    # the background loop

    def close(self, bit: int) -> None:
        """Stop a line item bidding until its allowance is topped up."""
        if self.open_mask >> bit & 1:
            self.open_mask ^= 1 << bit

    def refresh(self, allowance: Allowance) -> None:
        """Open or close a line item in service as its allowance now allows."""
        bit = allowance.rules.bit
        if bit >= len(self._by_bit) or self._by_bit[bit] is not allowance:
            return  # retired: its bit belongs to another line item now
        if allowance.usable:
            self.open_mask |= 1 << bit
        else:
            self.close(bit)

    def set_throttle(self, bit: int, throttle: float) -> None:
        """Bid with probability ``throttle`` (0 to 1) on the line item at ``bit``."""
        self.throttles[bit] = throttle
        paced = self.throttled_mask >> bit & 1
        if (throttle < 1.0) != bool(paced):
            self.throttled_mask ^= 1 << bit

    # read-only views (the admin API)

    def line_item_state(self, line_item_id: str) -> dict[str, object]:
        """Budget, spend, plan, throttle and lease of a line item, as JSON-ready values."""
        item = self.by_id.get(line_item_id)
        if item is None:
            return {}
        allowance = self.allowances.get(line_item_id) if item.budgeted else None
        grant = allowance.grant if allowance is not None else None
        own, campaign = item.scopes
        state: dict[str, object] = {
            "campaign": item.campaign_id,
            "budget": {"total": own.total, "daily": own.daily},
            "campaign_budget": {"total": campaign.total, "daily": campaign.daily},
            "pacing": "even" if item.pace is not None else "asap",
            "throttle": self.throttles[item.bit] if item.bit < len(self.throttles) else 1.0,
            "ledger": self.health.state,
        }
        if allowance is not None and grant is not None:
            state["day"] = allowance.day
            state["spent"] = {"today": grant.line_item_day, "total": grant.line_item_total}
            state["campaign_spent"] = {"today": grant.campaign_day, "total": grant.campaign_total}
        if allowance is not None:
            remaining = allowance.expires - self.clock.monotonic()
            state["lease"] = {
                "allowance": allowance.balance,
                "expires_in": round(remaining, 3) if allowance.balance and remaining > 0 else 0,
                "available": allowance.available,
            }
        if item.pace is not None:
            pacer = self.pacers.get(item.pace.key)
            daily = item.pace.daily
            if pacer is not None and daily is not None:
                now = self.clock.calendar()
                fraction = self.days.today(item.timezone, now).fraction(now)
                state["plan"] = {"scope": item.pace.key, "now": pacer.plan(fraction, daily)}
        return state

    def blocked_reason(self, line_item_id: str, request: BidRequest, now: float) -> str | None:
        """Why budgets, pacing or caps would stop the line item on ``request`` (``now`` is not
        used: leases and caps are read as they stand), or None if they would not."""
        item = self.by_id.get(line_item_id)
        if item is None:
            return None
        bit = item.bit
        if not self.open_mask >> bit & 1:
            return OUT_OF_BUDGET
        if self.capped_mask >> bit & 1:
            user = user_key(request)
            clock = self.clock
            allowed = user is not None and self.caps.allows(
                user, item, clock.wall(), clock.monotonic(), claim=False
            )
            if not allowed:
                return FREQUENCY_CAPPED
        if self.throttles[bit] < 1.0:
            return PACED
        return None
