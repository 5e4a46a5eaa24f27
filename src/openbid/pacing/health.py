"""Whether the shared ledger is reachable: the state an operator (and the admin API) reads."""

import time

IN_PROCESS = "in-process"  # one bidder keeps its own books: nothing to reach
OK = "ok"
DEGRADED = "degraded"  # the ledger is unreachable: bidding only from leases still held


class BackendHealth:
    """The ledger's state with when it last changed and why, and failure counters."""

    __slots__ = ("failures", "last_error", "last_ok", "recoveries", "since", "state")

    def __init__(self, shared: bool) -> None:
        self.state = OK if shared else IN_PROCESS
        self.since = time.time()
        self.last_ok = self.since
        self.last_error = ""
        self.failures = 0  # ledger calls that failed
        self.recoveries = 0  # times the ledger came back after being unreachable

    def succeeded(self) -> None:
        """A ledger call went through."""
        self.last_ok = time.time()
        if self.state == DEGRADED:
            self.state = OK
            self.since = self.last_ok
            self.recoveries += 1

    def failed(self, error: BaseException) -> bool:
        """A ledger call failed; True when this starts a degraded spell."""
        self.failures += 1
        self.last_error = f"{type(error).__name__}: {error}"
        if self.state != OK:
            return False
        self.state = DEGRADED
        self.since = time.time()
        return True

    def snapshot(self) -> dict[str, object]:
        """The state as JSON-ready values."""
        return {
            "state": self.state,
            "since": round(self.since, 3),
            "last_ok": round(self.last_ok, 3),
            "last_error": self.last_error,
            "failures": self.failures,
            "recoveries": self.recoveries,
        }
