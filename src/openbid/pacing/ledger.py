"""The shared budget ledger: what every bidder instance reads and writes, behind one interface.

Budgets are spent through **leases**. An instance holds, per line item, an allowance it took
from the ledger; each bid it makes commits the bid's cost (its price, the most the impression
can be billed) against that allowance, with no round trip. In the background the instance
reports what it committed, per second of bid time, and tops its allowance up. The ledger keeps,
per line item and campaign:

* ``spent``: what billing notices charged, in total and per local day;
* ``held``: leases not yet committed, plus **exposure**: the cost of bids reported but not yet
  resolved. A billing notice resolves its bid's exposure (and adds the clearing price to
  ``spent``); a loss notice resolves it for nothing; exposure older than the exposure window
  lapses (the bid was never billed).

A lease is granted only while ``spent + held + grant`` stays within every budget of the line
item and its campaign (total and daily), so billed spend cannot pass a budget: every billed
impression was held at its bid price, which is at least its clearing price, until its bill
arrived. Two implementations: :mod:`openbid.pacing.local_ledger` (one process) and
:mod:`openbid.pacing.redis_ledger` (many bidders sharing Redis, with Lua scripts).
"""

from collections.abc import Callable
from typing import Protocol

import msgspec

NO_BUDGET = -1  # a budget that is absent, where the ledger takes integers


class Budgets(msgspec.Struct, frozen=True, array_like=True, gc=False):
    """The limits a lease must respect, micros; NO_BUDGET where there is none."""

    line_item_total: int
    line_item_daily: int
    campaign_total: int
    campaign_daily: int


class Renewal(msgspec.Struct, kw_only=True, gc=False):
    """One instance's report on one line item, and the allowance it would like to hold."""

    line_item: str
    campaign: str
    day: str  # the advertiser's local day (YYYY-MM-DD): daily spend is counted under it
    budgets: Budgets
    consumed: list[tuple[int, int]]  # (bid second, micros committed), not reported before
    holding: int  # the allowance the instance holds as it sends this
    want: int  # the allowance it would like to hold
    min_grant: int  # a grant smaller than this is useless (under one impression's cost)
    sequence: int  # per line item and instance: a report replayed after a timeout counts once


class Grant(msgspec.Struct, frozen=True, array_like=True, gc=False):
    """The ledger's answer to a renewal."""

    granted: int  # added to the instance's allowance
    available: int  # what the budgets still allow beyond all leases (negative: give back)
    line_item_day: int  # spent today by the line item, all instances
    line_item_total: int
    campaign_day: int
    campaign_total: int


class Charge(msgspec.Struct, frozen=True, gc=False):
    """What a notice does to budgets: bills ``spend`` and resolves a bid's exposure."""

    line_item: str
    campaign: str
    day: str
    spend: int  # micros billed; 0 for a loss notice
    bid_second: int  # when the bid was made (its exposure bucket)
    exposure: int  # micros the bid held: its price


class CapImpression(msgspec.Struct, frozen=True, gc=False):
    """An impression that frequency caps count: for this user, in each of these scopes."""

    user: str
    scopes: tuple[tuple[str, int], ...]  # (scope key, seconds to remember it)
    bid_id: str


class NoticeEffect(msgspec.Struct, frozen=True, gc=False):
    """Everything one notice changes, applied at most once per ``dedupe`` key."""

    dedupe: str  # kind and bid id
    charge: Charge | None = None
    impression: CapImpression | None = None


class SlotClaim(msgspec.Struct, frozen=True, gc=False):
    """A request for the last impression a cap allows a user in a scope: only one instance at a
    time may bid for it."""

    user: str
    scope: str
    rules: tuple[tuple[int, int], ...]  # (max, seconds) of each cap of the scope


class SlotReply(msgspec.Struct, frozen=True, gc=False):
    """Whether the slot is this instance's, and the user's impressions in the scope (epoch
    seconds), which refresh the instance's view."""

    granted: bool
    impressions: tuple[tuple[float, str], ...]


class LedgerUnavailable(Exception):  # noqa: N818 -- a condition, not a programming error
    """The shared ledger cannot be reached (or did not answer in time)."""


class GenerationLost(Exception):  # noqa: N818 -- a condition, not a programming error
    """The shared ledger lost its data (Redis restarted empty): instances must restore it."""


class Ledger(Protocol):
    """The budget and frequency-cap store shared by the instances (or kept by one)."""

    shared: bool  # False when this process alone keeps the books

    async def renew(self, renewals: list[Renewal]) -> list[Grant]:
        """Apply the reports and grant what the budgets allow; one answer per renewal. A renewal
        that holds and wants 0 gives its lease back."""
        ...

    async def apply(self, effects: list[NoticeEffect]) -> list[bool]:
        """Apply notices, each at most once; True for those applied now (not duplicates)."""
        ...

    async def claim(self, claims: list[SlotClaim]) -> list[SlotReply]:
        """Try to take the last slot of each claim."""
        ...

    async def recover(self) -> bool:
        """Find the ledger's current generation; True if it lost the data this instance wrote."""
        ...

    async def restore(
        self, spent: dict[tuple[str, str], int], leases: list[tuple[str, str, int]]
    ) -> None:
        """Write back what this instance charged ((scope, day or "" for the total) -> micros)
        and the allowances it holds ((line item, campaign, micros)) after a loss of data."""
        ...

    async def listen(self, ready: Callable[[], None]) -> None:
        """Follow other instances' impressions until cancelled; call ``ready`` whenever this
        instance's view of frequency caps is complete (again)."""
        ...

    async def publish(self, status: dict[str, object]) -> None:
        """Make this instance's pacing state readable by ``openbid pacing show``."""
        ...

    async def close(self) -> None:
        """Let go of connections."""
        ...
