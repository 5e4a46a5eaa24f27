"""The open-loop load generator: each request sent when due, every answer judged and auctioned.

Requests leave at their scheduled time whether or not earlier ones were answered, over a pool of
keep-alive connections (a request that finds them all busy waits its turn, and that wait counts).
Latency runs from the time a request was *due*, so a bidder that stalls is charged for every
request that fell due during the stall, not just the few it was holding: no coordinated
omission. An answer later than the request's ``tmax`` is a timeout, as the exchange ignores it;
the generator still waits ``grace`` seconds past ``tmax`` to measure it, then closes the
connection.
"""

import asyncio
import contextlib
import gc
import random
import time
from collections.abc import Iterator
from functools import partial
from urllib.parse import urlsplit

import msgspec

from openbid.exchange.auction import Auction
from openbid.exchange.connection import Failure, Origin, Pool, post
from openbid.exchange.notices import Notices, outcome_name
from openbid.exchange.profile import Profile
from openbid.exchange.replay import BID_PATH
from openbid.exchange.schedule import Arrivals, Shape, send_times
from openbid.exchange.stats import Stats
from openbid.exchange.timer import Timer
from openbid.exchange.traffic import Generated, Traffic
from openbid.openrtb.codec import InvalidMessage, decode_response

DEFAULT_TMAX_MS = 100  # for a request without `tmax`
LEAD = 0.05  # seconds from opening the connections to the first request
SWEEP_INTERVAL = 0.02  # seconds between checks for requests to give up
YIELD_EVERY = 64  # requests sent in a row, when behind schedule, before answers are let in
NOTICE_DRAIN = 3.0  # seconds to wait for the last notices after the last answer


class RunConfig(msgspec.Struct, kw_only=True, frozen=True):
    """How hard and how long to drive which bidder."""

    bidder: str
    rate: float = 100.0
    duration: float = 10.0
    shape: Shape = "constant"
    arrivals: Arrivals = "uniform"
    connections: int = 32
    seed: int = 1
    notices: bool = True
    grace: float = 1.0


class BidderUnreachable(Exception):  # noqa: N818 -- a condition, not a programming error
    """No connection to the bidder could be opened."""


class _Pending:
    """A request on its way: what was sent, when it was due, how long the exchange waits."""

    __slots__ = ("due", "generated", "tmax")

    def __init__(self, generated: Generated, due: float, tmax: float) -> None:
        self.generated = generated
        self.due = due
        self.tmax = tmax


class LoadGenerator:
    """Drives one bidder with one run's traffic and records everything in ``stats``."""

    def __init__(self, config: RunConfig, profile: Profile, traffic: Traffic, stats: Stats) -> None:
        self._config = config
        self._origin = Origin.of(config.bidder)
        path = urlsplit(config.bidder).path
        self._path = path if path not in ("", "/") else BID_PATH
        self._pool = Pool(self._origin, config.connections)
        self._traffic = traffic
        self._stats = stats
        rng = random.Random(config.seed ^ 0x5EED)  # the auctions' own stream, apart from traffic
        self._auction = Auction(profile, rng)
        self._notices = Notices(profile, stats, rng, self._origin) if config.notices else None
        self._in_flight = 0
        self._stopping = False

    def stop(self) -> None:
        """Send nothing more; answers still due are waited for (Ctrl-C asks for this)."""
        self._stopping = True

    async def run(self) -> None:
        """Open the connections, send the schedule, wait for the answers and the notices."""
        try:
            await self._pool.open()
        except OSError as error:
            self._pool.close()
            reason = error.strerror or str(error)
            raise BidderUnreachable(f"cannot connect to {self._config.bidder}: {reason}") from None
        # What exists now (the profile, its corpus, the connections) lasts the whole run: keep it
        # out of the collector's full passes, which stalled this loop for up to 160 ms mid-run —
        # answers read that late would be counted as the bidder's latency and timeouts. Handed
        # back to the collector after the run.
        gc.collect()
        gc.freeze()
        sweeper = asyncio.get_running_loop().create_task(self._sweep())
        try:
            await self._send_all()
            await self._settle()
        finally:
            gc.unfreeze()
            sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeper
            self._pool.close()
            if self._notices is not None:
                self._notices.close()
            self._stats.finish()

    async def _send_all(self) -> None:
        config = self._config
        start = time.monotonic() + LEAD
        self._stats.start(start)
        schedule = send_times(
            config.shape, config.rate, config.duration, config.arrivals, random.Random(config.seed)
        )
        timer = Timer()
        try:
            await self._send_schedule(schedule, start, timer)
        finally:
            timer.close()

    async def _send_schedule(self, schedule: Iterator[float], start: float, timer: Timer) -> None:
        in_a_row = 0
        for offset in schedule:
            generated = self._traffic.next()  # drawn before its time comes, not on its time
            due = start + offset
            if due > time.monotonic():
                await timer.sleep_until(due)
                in_a_row = 0
            if in_a_row >= YIELD_EVERY:
                await asyncio.sleep(0)
                in_a_row = 0
            if self._stopping:
                self._stats.interrupted = True
                return
            in_a_row += 1
            self._send(generated, due)

    def _send(self, generated: Generated, due: float) -> None:
        request = generated.request
        tmax = (request.tmax or DEFAULT_TMAX_MS) / 1000
        pending = _Pending(generated, due, tmax)
        self._in_flight += 1
        self._stats.sent(generated.label, len(request.imp), time.monotonic() - due)
        data = post(self._origin, self._path, generated.body)
        give_up_at = due + tmax + self._config.grace
        self._pool.request(data, partial(self._answered, pending), give_up_at)

    def _answered(self, pending: _Pending, status: int, body: bytes) -> None:
        """Judge one answer: timeout, error, no-bid, or bids that go to auction."""
        self._in_flight -= 1
        stats = self._stats
        latency = time.monotonic() - pending.due
        if status < 100:
            if status == Failure.ABANDONED:
                stats.answered(latency)  # a lower bound: the answer never came
                stats.timeout()
            else:
                stats.error(outcome_name(status))
            return
        stats.answered(latency)
        if latency > pending.tmax:
            stats.timeout()
        elif status == 204:
            stats.no_bid()
        elif status != 200:
            stats.error(str(status))
        else:
            self._auction_of(pending, body)

    def _auction_of(self, pending: _Pending, body: bytes) -> None:
        stats = self._stats
        try:
            response = decode_response(body)
        except InvalidMessage:
            stats.error("200 not a bid response")
            return
        if not any(seatbid.bid for seatbid in response.seatbid or ()):
            stats.no_bid()
            return
        request = pending.generated.request
        outcomes = self._auction.run(request, response)
        stats.auction(pending.generated.label, response.cur or "USD", outcomes)
        if self._notices is not None:
            self._notices.after_auction(request, response, outcomes)

    async def _settle(self) -> None:
        """Wait until every request is answered or given up, then for the notices."""
        while self._in_flight:
            await asyncio.sleep(0.005)
        if self._notices is not None:
            await self._notices.drain(NOTICE_DRAIN)

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(SWEEP_INTERVAL)
            now = time.monotonic()
            self._pool.sweep(now)
            if self._notices is not None:
                self._notices.sweep(now)
