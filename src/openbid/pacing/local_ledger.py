"""The in-process ledger: one bidder keeps its own books (the embedded default).

It follows the same rules as the Redis ledger (:mod:`openbid.pacing.ledger` describes them), in
plain dictionaries, so the bid path and its background loop work the same way with either; spend
is lost when the process stops.
"""

import time
from collections.abc import Callable

from openbid.pacing.ledger import (
    NO_BUDGET,
    Budgets,
    CapImpression,
    Grant,
    NoticeEffect,
    Renewal,
    SlotClaim,
    SlotReply,
)
from openbid.pacing.notice_memory import NoticeMemory

UNLIMITED = 2**62

ImpressionSink = Callable[[str, str, float, str, float], None]  # user, scope, at, bid id, keep


class LocalLedger:
    """Budgets and notices of one process."""

    shared = False

    def __init__(
        self,
        on_impression: ImpressionSink,
        exposure_seconds: float,
        dedupe_seconds: float,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._on_impression = on_impression
        self._window = exposure_seconds
        self._wall = wall
        self.spent: dict[str, int] = {}  # "l:ID:t", "l:ID:d:DAY", "c:ID:t", "c:ID:d:DAY"
        self.held: dict[str, int] = {}  # "l:ID", "c:ID": leases and exposure
        self._leases: dict[str, int] = {}
        self._sequences: dict[str, int] = {}
        self._exposure: dict[str, dict[int, int]] = {}
        # dedupe keys, forgotten a few at a time as they come due, never swept in one pass that
        # would stall the event loop
        self._seen = NoticeMemory(dedupe_seconds)

    def _hold(self, line_item: str, campaign: str, amount: int) -> None:
        held = self.held
        for key in (f"l:{line_item}", f"c:{campaign}"):
            held[key] = held.get(key, 0) + amount

    def _prune(self, line_item: str, campaign: str, now: float) -> None:
        buckets = self._exposure.get(line_item)
        if not buckets:
            return
        horizon = now - self._window
        for second in [s for s in buckets if s < horizon]:
            self._hold(line_item, campaign, -buckets.pop(second))

    def _available(self, renewal: Renewal) -> int:
        b: Budgets = renewal.budgets
        spent, held = self.spent, self.held
        li, cmp = f"l:{renewal.line_item}", f"c:{renewal.campaign}"
        room = UNLIMITED
        for budget, spent_key, held_key in (
            (b.line_item_total, f"{li}:t", li),
            (b.line_item_daily, f"{li}:d:{renewal.day}", li),
            (b.campaign_total, f"{cmp}:t", cmp),
            (b.campaign_daily, f"{cmp}:d:{renewal.day}", cmp),
        ):
            if budget != NO_BUDGET:
                room = min(room, budget - spent.get(spent_key, 0) - held.get(held_key, 0))
        return room

    def _renew(self, renewal: Renewal, now: float) -> Grant:
        li, cmp = renewal.line_item, renewal.campaign
        self._prune(li, cmp, now)
        lease = self._leases.get(li, 0)
        if renewal.sequence > self._sequences.get(li, 0):
            self._sequences[li] = renewal.sequence
            horizon = now - self._window
            buckets = self._exposure.setdefault(li, {})
            for second, amount in renewal.consumed:
                lease -= amount  # leaves the lease ...
                if second >= horizon:  # ... for the exposure of its second
                    buckets[second] = buckets.get(second, 0) + amount
                else:
                    self._hold(li, cmp, -amount)
        if lease > renewal.holding:
            self._hold(li, cmp, renewal.holding - lease)
            lease = renewal.holding
        available = self._available(renewal)
        granted = 0
        if renewal.want > lease and available >= renewal.min_grant:
            granted = min(renewal.want - lease, available)
            lease += granted
            self._hold(li, cmp, granted)
        self._leases[li] = lease
        spent = self.spent
        return Grant(
            granted=granted,
            available=available - granted,
            line_item_day=spent.get(f"l:{li}:d:{renewal.day}", 0),
            line_item_total=spent.get(f"l:{li}:t", 0),
            campaign_day=spent.get(f"c:{cmp}:d:{renewal.day}", 0),
            campaign_total=spent.get(f"c:{cmp}:t", 0),
        )

    async def renew(self, renewals: list[Renewal]) -> list[Grant]:
        """Apply the reports and grant what the budgets allow."""
        now = self._wall()
        return [self._renew(renewal, now) for renewal in renewals]

    def _apply(self, effect: NoticeEffect, now: float) -> bool:
        if not self._seen.add(effect.dedupe, now):
            return False
        charge = effect.charge
        if charge is not None:
            scopes = [f"l:{charge.line_item}"]
            if charge.campaign:
                scopes.append(f"c:{charge.campaign}")
            if charge.spend:
                for scope in scopes:
                    for key in (f"{scope}:t", f"{scope}:d:{charge.day}"):
                        self.spent[key] = self.spent.get(key, 0) + charge.spend
            if charge.exposure and charge.bid_second >= now - self._window:
                buckets = self._exposure.setdefault(charge.line_item, {})
                buckets[charge.bid_second] = buckets.get(charge.bid_second, 0) - charge.exposure
                for scope in scopes:
                    self.held[scope] = self.held.get(scope, 0) - charge.exposure
        if effect.impression is not None:
            self._impression(effect.impression, now)
        return True

    def _impression(self, impression: CapImpression, now: float) -> None:
        for scope, keep in impression.scopes:
            self._on_impression(impression.user, scope, now, impression.bid_id, keep)

    async def apply(self, effects: list[NoticeEffect]) -> list[bool]:
        """Apply notices, each once."""
        now = self._wall()
        self._seen.expire(now)
        return [self._apply(effect, now) for effect in effects]

    async def claim(self, claims: list[SlotClaim]) -> list[SlotReply]:
        """One process: every slot is its own."""
        return [SlotReply(True, ()) for _ in claims]

    async def recover(self) -> bool:
        """In-process books are never lost while the process runs."""
        return False

    async def restore(
        self, spent: dict[tuple[str, str], int], leases: list[tuple[str, str, int]]
    ) -> None:
        """Nothing to restore."""

    async def listen(self, ready: Callable[[], None]) -> None:
        """The view of caps is this process's own: complete from the start."""
        ready()

    async def publish(self, status: dict[str, object]) -> None:
        """Nothing is shared."""

    async def close(self) -> None:
        """Nothing to let go of."""
