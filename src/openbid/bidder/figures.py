"""Figures the metrics read from the bidder's neighbours before each export, not per request.

The event log's queue depth, drops and write failures, the catalog in service and its reloads,
each line item's pacing throttle, and notices the pacing loop had to drop: each is already
counted where it happens, so it is copied into the metrics every export interval.
"""

from openbid.bidder.pipeline import Bidder
from openbid.bidder.reload import CatalogReloader
from openbid.events.log import EventLog
from openbid.pacing.sync import PacingLoop
from openbid.server.overload import LoadShedder
from openbid.telemetry.aggregates import LocalCounter
from openbid.telemetry.metrics import BidderMetrics

EVENT_WRITE = "event_write"
"""Error kind: events the sink failed to take (lost)."""
CATALOG_RELOAD = "catalog_reload"
"""Error kind: a catalog reload that failed (the previous catalog stays in service)."""
NOTICE_DROPPED = "notice_dropped"
"""Error kind: notice effects dropped because the pacing queue was full."""
OVERLOADED = "overloaded"
"""No-bid reason: requests shed, undecoded, while the bidder was saturated."""


class _Total:
    """Turns a running total kept elsewhere into increments of a local counter."""

    __slots__ = ("_counter", "_labels", "_seen")

    def __init__(self, counter: LocalCounter, *labels: str) -> None:
        self._counter = counter
        self._labels = labels
        self._seen = 0

    def follow(self, total: int) -> None:
        """Add what ``total`` grew by since the last call."""
        if total > self._seen:
            self._counter.add(total - self._seen, *self._labels)
            self._seen = total


class BidderFigures:
    """Copies the neighbours' figures into ``metrics``; ``refresh`` runs before each export."""

    def __init__(
        self,
        metrics: BidderMetrics,
        bidder: Bidder,
        reloader: CatalogReloader,
        pacing: PacingLoop,
        events: EventLog | None,
    ) -> None:
        self._metrics = metrics
        self._bidder = bidder
        self._reloader = reloader
        self._pacing = pacing
        self._events = events
        self._drops = _Total(metrics.event_drops)
        self._write_errors = _Total(metrics.errors, EVENT_WRITE)
        self._reloads = _Total(metrics.catalog_reloads, "ok")
        self._reload_failures = _Total(metrics.catalog_reloads, "failed")
        self._reload_errors = _Total(metrics.errors, CATALOG_RELOAD)
        self._notice_drops = _Total(metrics.errors, NOTICE_DROPPED)
        self._shed = _Total(metrics.no_bids, OVERLOADED)
        self._version: str | None = None
        self.shedder: LoadShedder | None = None  # the bid port's, once it listens

    def refresh(self) -> None:
        """Bring every figure up to date."""
        metrics = self._metrics
        events = self._events
        if events is not None:
            stats = events.stats()
            metrics.event_queue_depth.replace(stats.queued)
            self._drops.follow(stats.dropped)
            self._write_errors.follow(stats.failed)
        reloader = self._reloader
        self._reloads.follow(reloader.reloads)
        self._reload_failures.follow(reloader.failures)
        self._reload_errors.follow(reloader.failures)
        self._notice_drops.follow(self._pacing.dropped)
        snapshot = self._bidder.snapshot
        if snapshot is not None and snapshot.version != self._version:
            metrics.catalog_info.replace(1, snapshot.version)
            self._version = snapshot.version
        shedder = self.shedder
        if shedder is not None:
            self._shed.follow(shedder.shed)
            metrics.load_shed_fraction.replace(shedder.fraction)
        self._throttles()

    def _throttles(self) -> None:
        """The throttle of every line item in service that paces evenly (1: not held back)."""
        state = self._pacing.state
        gauge = self._metrics.pacing_throttle
        throttles = state.throttles
        gauge.clear()
        for item in state.rules:
            if item.pace is not None and item.bit < len(throttles):
                gauge.set(throttles[item.bit], item.id)
