"""Frequency caps on the bid path: each instance's view of users' impressions, checked locally.

The choice made here: caps are checked against a **local cache**, never looked up per request.
Every impression of a capped line item is recorded in the shared ledger, which broadcasts it to
every instance; each instance also counts its own bids still in flight. A bid that would use a
user's *last* allowed impression in a scope needs a short **slot lease** from the ledger first
(at most one instance holds it, and only while the count allows one more), so instances racing
for the same user cannot push it over the cap; the first request that finds a user at that point
does not bid on the capped line item, and asks for the lease in the background. Until the cache
is complete (at start, and after the ledger was unreachable) every capped bid needs a lease.
With one process (the in-process ledger) the cache is the ledger, and no lease is needed.

Bounds: the cache holds ``MAX_USERS`` users; a user forgotten while still capped could be shown
again. Without a user key a capped line item does not bid.
"""

from collections.abc import Sequence

from openbid.pacing.ledger import SlotClaim, SlotReply
from openbid.pacing.rules import LineItemRules, Scope

PENDING_SECONDS = 30.0  # an own bid counts for this long unless its impression or loss is seen
SLOT_LEASE_SECONDS = 10.0  # how long a last-slot lease is held (the ledger's copy lasts longer)
MAX_USERS = 1_000_000


class ScopeHistory:
    """One user's recent impressions in one scope, and this instance's bids still in flight."""

    __slots__ = ("impressions", "lease_until", "pending")

    def __init__(self) -> None:
        self.impressions: list[tuple[float, str]] = []  # (epoch seconds, bid id), oldest first
        self.pending: list[tuple[float, str]] = []  # (monotonic expiry, bid id)
        self.lease_until = 0.0  # monotonic time a last-slot lease ends (0: none)

    def count(self, since: float, now: float) -> int:
        """Impressions after ``since`` (epoch) plus own bids still in flight at ``now``."""
        shown = sum(1 for at, _ in self.impressions if at > since)
        return shown + sum(1 for until, _ in self.pending if until > now)


class CapBook:
    """The local view of frequency caps, and the slot claims waiting to be sent."""

    __slots__ = ("_claims", "_users", "needs_leases", "strict")

    def __init__(self, needs_leases: bool) -> None:
        self.needs_leases = needs_leases  # False: this process alone keeps the books
        self.strict = needs_leases  # every capped bid needs a lease until the view is complete
        self._users: dict[str, dict[str, ScopeHistory]] = {}
        self._claims: dict[tuple[str, str], SlotClaim] = {}

    def __len__(self) -> int:
        return len(self._users)

    def _verdict(
        self,
        user: str,
        scopes: dict[str, ScopeHistory] | None,
        scope: Scope,
        wall: float,
        now: float,
        claim: bool,
    ) -> bool:
        """Whether ``user`` may be bid on in ``scope``; asks for a lease when one is needed."""
        history = scopes.get(scope.key) if scopes is not None else None
        last_slot = self.strict
        for rule in scope.caps:
            seen = history.count(wall - rule.seconds, now) if history is not None else 0
            if seen >= rule.max:
                return False
            if seen == rule.max - 1:
                last_slot = True
        if not last_slot or not self.needs_leases:
            return True
        if history is not None and history.lease_until > now:
            return True
        if claim:
            self._claims.setdefault(
                (user, scope.key),
                SlotClaim(user, scope.key, tuple((r.max, r.seconds) for r in scope.caps)),
            )
        return False

    def allows(
        self, user: str, rules: LineItemRules, wall: float, now: float, *, claim: bool = True
    ) -> bool:
        """Whether every cap of the line item and its campaign lets ``user`` see one more; with
        ``claim``, a missing last-slot lease is asked for."""
        scopes = self._users.get(user)
        return all(
            self._verdict(user, scopes, scope, wall, now, claim)
            for scope in rules.scopes
            if scope.caps
        )

    def _history(self, user: str, scope: str) -> ScopeHistory:
        scopes = self._users.get(user)
        if scopes is None:
            if len(self._users) >= MAX_USERS:
                self._users.pop(next(iter(self._users)))  # the oldest entry
            scopes = self._users[user] = {}
        history = scopes.get(scope)
        if history is None:
            history = scopes[scope] = ScopeHistory()
        return history

    def bid(self, user: str, rules: LineItemRules, bid_id: str, now: float) -> None:
        """A bid for ``user`` went out: count it until its impression or loss is seen. A lease
        it used is spent."""
        for scope in rules.scopes:
            if scope.caps:
                history = self._history(user, scope.key)
                history.pending.append((now + PENDING_SECONDS, bid_id))
                history.lease_until = 0.0

    def seen(self, user: str, scope: str, at: float, bid_id: str, keep: float) -> None:
        """An impression (from the ledger's broadcast, or recorded here): count it, forget the
        bid it came from, and anything older than ``keep`` seconds before it."""
        history = self._history(user, scope)
        if any(known == bid_id for _, known in history.impressions):
            return
        history.impressions.append((at, bid_id))
        history.impressions.sort()
        horizon = at - keep
        history.impressions = [entry for entry in history.impressions if entry[0] > horizon]
        history.pending = [entry for entry in history.pending if entry[1] != bid_id]

    def lost(self, user: str, scopes: Sequence[str], bid_id: str) -> None:
        """A bid lost: it will never be an impression."""
        known = self._users.get(user)
        if known is None:
            return
        for scope in scopes:
            history = known.get(scope)
            if history is not None:
                history.pending = [entry for entry in history.pending if entry[1] != bid_id]

    def take_claims(self) -> list[SlotClaim]:
        """The slot claims to send, once each."""
        claims = list(self._claims.values())
        self._claims.clear()
        return claims

    def answered(self, claim: SlotClaim, reply: SlotReply, now: float) -> None:
        """The ledger answered a claim: take the lease, and its view of the user's history."""
        history = self._history(claim.user, claim.scope)
        keep = max(seconds for _, seconds in claim.rules)
        for at, bid_id in reply.impressions:
            self.seen(claim.user, claim.scope, at, bid_id, keep)
        if reply.granted:
            history.lease_until = now + SLOT_LEASE_SECONDS

    def sweep(self, wall: float, now: float, keep: float) -> None:
        """Forget users with nothing left to count (no impression within ``keep`` seconds, no
        bid in flight, no lease)."""
        horizon = wall - keep
        stale = [
            user
            for user, scopes in self._users.items()
            if all(
                not any(at > horizon for at, _ in history.impressions)
                and not any(until > now for until, _ in history.pending)
                and history.lease_until <= now
                for history in scopes.values()
            )
        ]
        for user in stale:
            del self._users[user]
