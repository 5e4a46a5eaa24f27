"""After the auction: win, billing and loss notices, and the trackers of rendered and clicked ads.

A win calls the bid's ``nurl`` (whose answer is the markup when the bid has no ``adm``); a share
of wins (``render_rate``) renders: ``burl`` is called and the markup's impression URLs fetched
(:mod:`openbid.exchange.markup` says which). A rendered ad is clicked at its CTR, and the
markup's click URLs fetched. A lost bid's ``lurl`` is called with ``${AUCTION_LOSS}``. Every URL
has its OpenRTB macros substituted first.

Notice URLs are called wherever they point, as an exchange would. Markup URLs are fetched only on
the bidder's own hosts (its bid URL's and its notice URLs'), never on the open internet; the
others are counted as skipped. Every outcome is counted by kind and status: a 404 is an answer
like any other, not a failure of the run.
"""

import asyncio
import functools
import random
import time
from collections.abc import Callable
from functools import partial
from urllib.parse import urlsplit

from openbid.exchange.auction import BidOutcome
from openbid.exchange.connection import Failure, Origin, Pool, get, split_url
from openbid.exchange.markup import find_trackers
from openbid.exchange.profile import Media, Profile
from openbid.exchange.stats import Stats
from openbid.exchange.validate import DEFAULT_CURRENCY
from openbid.openrtb import macros
from openbid.openrtb.model import Bid, BidRequest, BidResponse

NOTICE_TIMEOUT = 2.0  # seconds before a notice is given up
POOL_SIZE = 32  # connections per notice origin

MEDIA_BY_MTYPE: dict[int, Media] = {1: "banner", 2: "video", 3: "audio", 4: "native"}

Then = Callable[[int, bytes], None]


def format_price(amount: float | None) -> str:
    """A price as a macro value: plain decimal, at most 6 places; empty when unknown."""
    if amount is None:
        return ""
    return f"{amount:.6f}".rstrip("0").rstrip(".") or "0"


def macro_values(
    request: BidRequest, response: BidResponse, outcome: BidOutcome, now_ms: int
) -> dict[str, str]:
    """The value of every OpenRTB macro for one bid's notices.

    ``${AUCTION_PRICE}`` is the clearing price in the bid's currency (for a lost bid, what the
    winner paid, or empty when the bid was refused); ``${AUCTION_BID_ID}`` is the response's
    ``bidid``, else the bid's ``id``; ``${AUCTION_LOSS}`` is 0 for a win.
    """
    bid = outcome.bid
    ratio = None
    if outcome.won and outcome.price is not None and bid.price:
        ratio = outcome.price / bid.price
    return {
        macros.AUCTION_ID: request.id,
        macros.AUCTION_BID_ID: response.bidid or bid.id or "",
        macros.AUCTION_IMP_ID: bid.impid or "",
        macros.AUCTION_SEAT_ID: outcome.seat,
        macros.AUCTION_AD_ID: bid.adid or "",
        macros.AUCTION_PRICE: format_price(outcome.price),
        macros.AUCTION_CURRENCY: response.cur or DEFAULT_CURRENCY,
        macros.AUCTION_MBR: format_price(ratio),
        macros.AUCTION_LOSS: str(int(outcome.loss)),
        macros.AUCTION_MIN_TO_WIN: format_price(outcome.min_to_win),
        macros.AUCTION_IMP_TS: str(now_ms),
    }


def notice_url(template: str, values: dict[str, str]) -> str:
    """A notice or tracker URL with its macros replaced (values percent-encoded)."""
    return macros.substitute(template, values, url_encode=True)


@functools.lru_cache(maxsize=1024)
def _split_base(base: str) -> tuple[Origin, str]:
    return split_url(base)


def _split(url: str) -> tuple[Origin, str]:
    """:func:`split_url`, remembering the origin and path of URLs that differ only by query."""
    base, mark, query = url.partition("?")
    if "#" in url:
        return split_url(url)
    origin, path = _split_base(base)
    return origin, f"{path}{mark}{query}"


def outcome_name(status: int) -> str:
    """How a fetch ended, for the counts: the HTTP status, or the failure's name."""
    if status >= 100:
        return str(status)
    return {Failure.ABANDONED: "timeout"}.get(Failure(status), Failure(status).name.lower())


class Notices:
    """Sends the notices and tracker fetches that follow each auction, and counts their outcomes."""

    def __init__(self, profile: Profile, stats: Stats, rng: random.Random, bidder: Origin) -> None:
        self._profile = profile
        self._stats = stats
        self._rng = rng
        self._bidder_host = bidder.host
        self._pools: dict[Origin, Pool] = {}
        self.in_flight = 0

    def after_auction(
        self, request: BidRequest, response: BidResponse, outcomes: list[BidOutcome]
    ) -> None:
        """Notify every bid of its fate; render (and maybe click) the winners."""
        now_ms = int(time.time() * 1000)
        currency = response.cur or DEFAULT_CURRENCY
        for outcome in outcomes:
            bid = outcome.bid
            values = macro_values(request, response, outcome, now_ms)
            if not outcome.won:
                if bid.lurl:
                    self._fetch("loss", bid.lurl, values)
            elif bid.nurl:
                self._fetch("win", bid.nurl, values, partial(self._won, outcome, values, currency))
            else:
                self._render(outcome, values, currency, bid.adm)

    def _won(
        self, outcome: BidOutcome, values: dict[str, str], currency: str, status: int, body: bytes
    ) -> None:
        """The win notice was answered: its body is the markup when the bid carried none."""
        markup = outcome.bid.adm
        if not markup and 200 <= status < 300 and body:
            markup = body.decode("utf-8", "replace")
        self._render(outcome, values, currency, markup)

    def _render(
        self, outcome: BidOutcome, values: dict[str, str], currency: str, markup: str | None
    ) -> None:
        """Maybe render the won ad: bill it, fetch its impression URLs, maybe click it."""
        if self._rng.random() >= self._profile.render_rate:
            return
        if not markup:
            self._stats.no_markup += 1
            return
        bid = outcome.bid
        self._stats.rendered(outcome, currency)
        if bid.burl:
            self._fetch("bill", bid.burl, values)
        trackers = find_trackers(markup)
        hosts = self._bidder_hosts(bid) if trackers.impressions or trackers.clicks else set()
        for url in trackers.impressions:
            self._track("impression", url, values, hosts)
        if self._rng.random() < self._ctr(bid):
            self._stats.clicked(outcome)
            for url in trackers.clicks:
                self._track("click", url, values, hosts)

    def _ctr(self, bid: Bid) -> float:
        ctr = self._profile.ctr
        if bid.crid in ctr.creatives:
            return ctr.creatives[bid.crid]
        if bid.cid in ctr.campaigns:
            return ctr.campaigns[bid.cid]
        media = MEDIA_BY_MTYPE.get(bid.mtype or 0)
        return ctr.media.get(media, 0.0) if media else 0.0

    def _bidder_hosts(self, bid: Bid) -> set[str | None]:
        """The hosts of the bid URL and of the bid's notice URLs."""
        hosts: set[str | None] = {self._bidder_host}
        hosts.update(urlsplit(u).hostname for u in (bid.nurl, bid.burl, bid.lurl) if u)
        return hosts

    def _track(self, kind: str, url: str, values: dict[str, str], hosts: set[str | None]) -> None:
        """Fetch a markup URL if it is on one of the bidder's ``hosts``; count it skipped if not."""
        if urlsplit(url).hostname in hosts:
            self._fetch(kind, url, values)
        else:
            self._stats.trackers_skipped[kind] += 1

    def _fetch(
        self, kind: str, template: str, values: dict[str, str], then: Then | None = None
    ) -> None:
        """GET the URL with its macros replaced; count the outcome, then call ``then``."""
        try:
            origin, target = _split(notice_url(template, values))
        except ValueError:
            self._stats.notice(kind, "bad url")
            if then is not None:
                then(Failure.MALFORMED, b"")
            return
        pool = self._pools.get(origin)
        if pool is None:
            pool = self._pools[origin] = Pool(origin, POOL_SIZE)
        self.in_flight += 1
        give_up_at = time.monotonic() + NOTICE_TIMEOUT
        pool.request(get(origin, target), partial(self._fetched, kind, then), give_up_at)

    def _fetched(self, kind: str, then: Then | None, status: int, body: bytes) -> None:
        self.in_flight -= 1
        self._stats.notice(kind, outcome_name(status))
        if then is not None:
            then(status, body)

    def sweep(self, now: float) -> None:
        """Give up on notices unanswered for ``NOTICE_TIMEOUT``."""
        for pool in self._pools.values():
            pool.sweep(now)

    async def drain(self, timeout: float) -> None:
        """Wait (at most ``timeout`` seconds) until every notice is answered or given up."""
        deadline = time.monotonic() + timeout
        while self.in_flight and time.monotonic() < deadline:
            await asyncio.sleep(0.01)

    def close(self) -> None:
        """Close every notice connection."""
        for pool in self._pools.values():
            pool.close()
