"""Putting the pacing subsystem together for ``openbid serve``: in-process or on Redis."""

import os
import secrets
import socket
from dataclasses import dataclass

from openbid.pacing.caps import CapBook
from openbid.pacing.clock import SECONDS_PER_DAY, PacingClock
from openbid.pacing.health import BackendHealth
from openbid.pacing.ledger import Ledger
from openbid.pacing.local_ledger import LocalLedger
from openbid.pacing.redis_ledger import RedisLedger
from openbid.pacing.state import PacingState
from openbid.pacing.sync import LEASE_SECONDS, SYNC_INTERVAL, PacingLoop

EXPOSURE_SECONDS = 120.0  # a bid's price stays held this long unless its bill or loss comes
SETTLE_SECONDS = 2.0  # after Redis lost its data, no lease is granted until instances restored
DEDUPE_MARGIN = 300.0  # notices are remembered this much longer than they are accepted


@dataclass(frozen=True, slots=True)
class PacingSettings:
    """How pacing runs: where the ledger is, and its clocks and windows."""

    redis_url: str | None = None
    redis_prefix: str = "openbid"
    instance: str = ""
    day_seconds: float = SECONDS_PER_DAY
    day_origin: float | None = None
    exposure_seconds: float = EXPOSURE_SECONDS
    notice_max_age: float = 3600.0
    interval: float = SYNC_INTERVAL
    lease_seconds: float = LEASE_SECONDS


def default_instance() -> str:
    """A name for this process among the bidders sharing a ledger."""
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(2)}"


def build_pacing(settings: PacingSettings, clock: PacingClock | None = None) -> PacingLoop:
    """The pacing loop (with its state and ledger) the settings describe; ``clock`` replaces
    the one they describe (for tests)."""
    shared = settings.redis_url is not None
    caps = CapBook(needs_leases=shared)
    clock = clock or PacingClock(settings.day_seconds, settings.day_origin)
    state = PacingState(clock, caps, BackendHealth(shared))
    dedupe = settings.notice_max_age + DEDUPE_MARGIN
    ledger: Ledger
    if settings.redis_url is not None:
        ledger = RedisLedger(
            settings.redis_url,
            settings.redis_prefix,
            settings.instance or default_instance(),
            caps.seen,
            lease_seconds=settings.lease_seconds,
            exposure_seconds=settings.exposure_seconds,
            dedupe_seconds=dedupe,
            settle_seconds=SETTLE_SECONDS,
        )
    else:
        ledger = LocalLedger(caps.seen, settings.exposure_seconds, dedupe, clock.wall)
    return PacingLoop(state, ledger, settings.interval, settings.lease_seconds)
