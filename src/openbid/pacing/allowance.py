"""One line item's lease on this instance: the allowance bids commit against, and its reports.

A bid commits its cost to the allowance at once (no I/O). The commitments, per second of bid
time, are reported with the next renewal; a report that got no answer is sent again unchanged,
with the same sequence number, so the ledger counts it once. The allowance lapses
``lease_seconds`` after the grant that last topped it up (on the monotonic clock): an instance
cut off from the ledger stops bidding once its lease lapses, before the ledger itself would
hand the lease to others.
"""

import math

from openbid.pacing.ledger import Budgets, Grant, Renewal
from openbid.pacing.rules import LineItemRules

LEASE_HORIZON = 2.0  # seconds of commitments an allowance is sized for
MIN_IMPRESSIONS = 8  # an allowance covers at least this many impressions at the highest price
GROWTH = 2  # an allowance that ran dry asks for this many times more next time
RATE_SMOOTHING = 2.0  # seconds: memory of the commitment rate
REFRESH_SECONDS = 2.0  # a lease is renewed at least this often, even when idle


def _budget(value: int | None) -> int:
    return -1 if value is None else value


class Allowance:
    """The lease state of one line item on this instance."""

    __slots__ = (
        "_committed", "_last_rate_at", "_report", "_sequence", "_want", "available", "balance",
        "day", "expires", "grant", "rate", "renewed_at", "rules", "starved", "unreported",
    )  # fmt: skip

    def __init__(self, rules: LineItemRules) -> None:
        self.rules = rules
        self.balance = 0  # micros bids may still commit
        self.expires = 0.0  # monotonic time the balance lapses
        self.unreported: dict[int, int] = {}  # bid second -> micros committed, not yet reported
        self.rate = 0.0  # micros committed per second, smoothed
        self.grant: Grant | None = None  # the ledger's last answer: spend figures
        self.day = ""  # the local day the last renewal was for
        self.available = 0  # what the ledger still had to lease at the last answer
        self.renewed_at = -math.inf  # monotonic time of the last answer
        self._report: list[tuple[int, int]] | None = None  # sent, not yet acknowledged
        self._sequence = 0
        self._committed = 0  # micros committed since the rate was last updated
        self._last_rate_at = -1.0
        self._want = 0
        self.starved = False  # the balance ran dry since the last renewal

    @property
    def usable(self) -> bool:
        """Whether the balance covers one more impression at the line item's highest price."""
        return self.balance >= self.rules.max_cost

    def commit(self, cost: int, second: int) -> bool:
        """Commit a bid's cost made at ``second``; False (nothing committed) if it does not fit."""
        if cost > self.balance:
            self.starved = True
            return False
        self.balance -= cost
        unreported = self.unreported
        unreported[second] = unreported.get(second, 0) + cost
        self._committed += cost
        if self.balance < self.rules.max_cost:
            self.starved = True
        return True

    def due(self, now: float) -> bool:
        """Whether the ledger should hear from this line item now."""
        return bool(
            self.unreported
            or self._report is not None
            or self.balance < self.want()
            or now - self.renewed_at >= REFRESH_SECONDS
        )

    def want(self) -> int:
        """The allowance to hold: a couple of seconds of commitments, some impressions at least,
        and more each time it ran dry (demand the commitment rate cannot show yet)."""
        return max(self._want, MIN_IMPRESSIONS * self.rules.max_cost)

    def _update_rate(self, now: float) -> None:
        if self._last_rate_at >= 0 and now > self._last_rate_at:
            elapsed = now - self._last_rate_at
            weight = 1.0 - math.exp(-elapsed / RATE_SMOOTHING)
            self.rate += weight * (self._committed / elapsed - self.rate)
        self._committed = 0
        self._last_rate_at = now

    def renewal(self, day: str, now: float, *, release: bool = False) -> Renewal:
        """The report to send now (the unacknowledged one again, if any) and what to ask for."""
        self._update_rate(now)
        by_rate = math.ceil(self.rate * LEASE_HORIZON)
        self._want = max(by_rate, GROWTH * self.want() if self.starved else 0)
        self.starved = False
        self.day = day
        if self._report is None:
            self._report = sorted(self.unreported.items())
            self.unreported = {}
            self._sequence += 1
        if release:
            self.balance = 0
            self.expires = 0.0
        rules = self.rules
        own, campaign = rules.scopes
        return Renewal(
            line_item=rules.id,
            campaign=rules.campaign_id,
            day=day,
            budgets=Budgets(
                _budget(own.total),
                _budget(own.daily),
                _budget(campaign.total),
                _budget(campaign.daily),
            ),
            consumed=self._report,
            holding=self.balance,
            want=0 if release else self.want(),
            min_grant=rules.max_cost,
            sequence=self._sequence,
        )

    def granted(self, grant: Grant, now: float, lease_seconds: float) -> None:
        """The ledger answered the last renewal: acknowledge the report, take the grant."""
        self._report = None
        self.grant = grant
        self.available = grant.available
        self.renewed_at = now
        self.balance += grant.granted
        if grant.available < 0:  # budgets were cut below what is held: give the excess back
            self.balance = max(0, self.balance + grant.available)
        if self.balance > 0:
            self.expires = now + lease_seconds

    def lapse(self, now: float) -> bool:
        """Drop a balance whose lease has lapsed; True if one was dropped."""
        if self.balance and now >= self.expires:
            self.balance = 0
            return True
        return False
