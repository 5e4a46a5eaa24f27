"""What the bid port tells the rest of the process about each request it answered.

Metrics (counters and the latency histogram), the event log (a ``bid`` event per bid sent, a
sampled ``nobid`` event per no-bid), the admin API's request ring and live tap, and one request
in ``LOG_SAMPLE`` as a debug log line with its request id (switch the level to ``debug`` through
the admin API to see them). Everything here runs on the event loop, after the answer is decided:
a few dict updates, one event per bid put on a queue, no I/O.
"""

import logging
import time
from collections.abc import Callable

from openbid.admin.ring import RequestRing
from openbid.admin.tap import LiveTap
from openbid.bidder.pipeline import Decision
from openbid.bidder.reasons import NoBid
from openbid.events.build import NO_AUDIENCE, Audience, EventBuilder
from openbid.events.log import EventLog
from openbid.events.schema import Event
from openbid.openrtb.model import BidRequest
from openbid.telemetry.logging import RequestSampler
from openbid.telemetry.metrics import BidderMetrics

log = logging.getLogger("openbid.bids")

INVALID_REQUEST = "invalid_request"
"""The error kind of a bid request that could not be decoded (answered 400)."""
BID_FAILED = "bid_failed"
"""The error kind of a request the bidder raised on (answered 500)."""
LOG_SAMPLE = 1000
"""One answered request in this many is logged (at debug level) with its request id."""
DEFAULT_NOBID_SAMPLE = 100
"""One no-bid in this many is recorded as a ``nobid`` event (which says it stands for them)."""

EmitFn = Callable[[Event], bool]


def audience_of(request: BidRequest, user: str | None) -> Audience:
    """The user (already hashed), geo and device summary of ``request`` for its events."""
    device = request.device
    if device is None:
        return Audience(user) if user is not None else NO_AUDIENCE
    geo = device.geo
    if geo is None and request.user is not None:
        geo = request.user.geo
    return Audience(
        user,
        geo.country if geo is not None else None,
        geo.region if geo is not None else None,
        device.devicetype,
        device.os,
    )


class BidObserver:
    """Counts, records and samples each answered bid request."""

    __slots__ = (
        "_builder", "_emit", "_log_sample", "_nobid_every", "_nobids", "metrics", "ring", "tap",
    )  # fmt: skip

    def __init__(
        self,
        metrics: BidderMetrics,
        events: EventLog | None,
        builder: EventBuilder,
        ring: RequestRing,
        tap: LiveTap,
        nobid_every: int = DEFAULT_NOBID_SAMPLE,
        log_every: int = LOG_SAMPLE,
    ) -> None:
        if nobid_every < 1:
            raise ValueError("nobid_every is at least 1")
        self.metrics = metrics
        self.ring = ring
        self.tap = tap
        self._emit = events.emit if events is not None else None
        self._builder = builder
        self._nobid_every = nobid_every
        self._nobids = 0
        self._log_sample = RequestSampler(log_every)

    def invalid(self, exchange: str, body: bytes, arrival: float, answer: bytes) -> None:
        """A request answered 400 because it could not be decoded."""
        metrics = self.metrics
        metrics.requests.inc(exchange, 400)
        metrics.errors.inc(INVALID_REQUEST)
        metrics.latency.observe(time.monotonic() - arrival)
        if self.tap.armed:
            self.tap.offer(exchange, body, 400, answer)

    def failed(self, exchange: str) -> None:
        """A request the bidder raised on (the server answers 500)."""
        self.metrics.requests.inc(exchange, 500)
        self.metrics.errors.inc(BID_FAILED)

    def answered(
        self,
        body: bytes,
        request: BidRequest,
        exchange: str,
        decision: Decision,
        arrival: float,
    ) -> None:
        """A decoded request answered with bids (200) or without (204)."""
        metrics = self.metrics
        metrics.latency.observe(time.monotonic() - arrival)
        self.ring.record(body, exchange, time.time())
        emit = self._emit
        answer = decision.body
        if answer is None:
            reason = decision.reason or NoBid.NO_MATCHING_LINE_ITEM
            metrics.requests.inc(exchange, 204)
            metrics.no_bids.inc(reason)
            if reason is NoBid.DEADLINE:
                metrics.deadline_misses.inc()
            if emit is not None:
                self._nobids += 1
                if self._nobids >= self._nobid_every:
                    self._nobids = 0
                    emit(
                        self._builder.nobid(
                            auction_id=request.id,
                            exchange=exchange,
                            reason=reason,
                            sample_rate=self._nobid_every,
                            audience=audience_of(request, decision.user),
                        )
                    )
        else:
            choices = decision.choices
            metrics.requests.inc(exchange, 200)
            metrics.bids.add(len(choices), exchange)
            metrics.bid_price.add(sum(choice.price_micros for choice in choices), decision.currency)
            if emit is not None:
                self._emit_bids(emit, request, exchange, decision)
        if self.tap.armed:
            self.tap.offer(exchange, body, 204 if answer is None else 200, answer or b"")
        if self._log_sample() and log.isEnabledFor(logging.DEBUG):
            log.debug(
                "answered",
                extra={
                    "request_id": request.id,
                    "exchange": exchange,
                    "bids": len(decision.choices),
                    "nobid_reason": decision.reason,
                    "latency_ms": round((time.monotonic() - arrival) * 1000, 3),
                },
            )

    def _emit_bids(
        self,
        emit: EmitFn,
        request: BidRequest,
        exchange: str,
        decision: Decision,
    ) -> None:
        """One ``bid`` event per bid in the response."""
        build = self._builder.bid
        audience = audience_of(request, decision.user)
        currency = decision.currency
        for choice, bid_id in zip(decision.choices, decision.bid_ids, strict=True):
            item = choice.line_item
            emit(
                build(
                    auction_id=request.id,
                    imp_id=choice.imp.id,
                    bid_id=bid_id,
                    exchange=exchange,
                    line_item=item.id,
                    campaign=item.campaign_id,
                    advertiser=item.advertiser_id,
                    creative=choice.creative.id,
                    price_micros=choice.price_micros,
                    currency=currency,
                    deal=choice.deal_id,
                    audience=audience,
                )
            )
