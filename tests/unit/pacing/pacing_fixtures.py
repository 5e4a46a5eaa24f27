"""A bidder with pacing on the in-process ledger, its notice receiver, and a fake clock."""

import asyncio
import time
from typing import Any
from urllib.parse import urlsplit

import msgspec

from openbid.bidder.config import BidderConfig
from openbid.bidder.pipeline import Bidder
from openbid.bidder.snapshot import compile_catalog
from openbid.catalog.load import parse_catalog
from openbid.notices.exchanges import ExchangeOptions
from openbid.notices.receiver import NoticeAnswer, NoticeReceiver
from openbid.notices.signing import SigningKeys
from openbid.openrtb import macros
from openbid.openrtb.codec import decode_response
from openbid.openrtb.model import Bid, BidRequest
from openbid.pacing.clock import PacingClock
from openbid.pacing.local_ledger import LocalLedger
from openbid.pacing.setup import PacingSettings, build_pacing
from openbid.pacing.sync import PacingLoop

KEYS = SigningKeys({"k1": b"s" * 32}, "k1")
BASE = "https://bid.example"


class FakeClock(PacingClock):
    """A pacing clock that only moves when told to."""

    def __init__(self, start: float = 1_780_000_000.0, day_seconds: float = 86400.0) -> None:
        super().__init__(day_seconds, origin=start if day_seconds != 86400.0 else None)
        self.now = start
        self.mono = 1000.0

    def advance(self, seconds: float) -> None:
        """Move both clocks."""
        self.now += seconds
        self.mono += seconds

    def monotonic(self) -> float:
        """The fake monotonic time."""
        return self.mono

    def wall(self) -> float:
        """The fake wall time."""
        return self.now

    def calendar(self) -> float:
        """The fake calendar time (compressed like the real one)."""
        if not self.compressed:
            return self.now
        return (self.now - self._origin) * (86400.0 / self.day_seconds)


def catalog(line_item: dict[str, Any], campaign: dict[str, Any] | None = None) -> dict[str, Any]:
    """One advertiser, one campaign, one line item with a banner and a serve-on-win banner."""
    return {
        "currency": "USD",
        "currency_rates": {"EUR": 0.5},
        "advertisers": [{"id": "adv", "name": "A", "domains": ["a.example"]}],
        "campaigns": [{"id": "cmp", "advertiser_id": "adv", "name": "C", **(campaign or {})}],
        "creatives": [
            {
                "id": "cr-inline",
                "advertiser_id": "adv",
                "type": "banner",
                "w": 300,
                "h": 250,
                "adm": '<a href="https://a.example/go"><img src="https://cdn.a.example/x.png"></a>',
                "landing_url": "https://a.example/go",
            },
            {
                "id": "cr-win",
                "advertiser_id": "adv",
                "type": "banner",
                "w": 728,
                "h": 90,
                "adm": "<div>on win</div>",
                "serve_on_win": True,
                "landing_url": "https://a.example/win",
            },
        ],
        "line_items": [
            {
                "id": "li",
                "campaign_id": "cmp",
                "name": "L",
                "bid": {"strategy": "fixed_cpm", "cpm": 2.0},
                "creative_ids": ["cr-inline", "cr-win"],
                **line_item,
            },
        ],
    }


def request(
    user: str | None = "u1", size: tuple[int, int] = (300, 250), cur: str = "USD"
) -> BidRequest:
    """A one-impression banner request."""
    data: dict[str, Any] = {
        "id": "auction-1",
        "cur": [cur],
        "imp": [{"id": "1", "banner": {"w": size[0], "h": size[1]}}],
        "site": {"domain": "news.example"},
        "device": {"devicetype": 2},
    }
    if user is not None:
        data["user"] = {"id": user}
    return msgspec.convert(data, BidRequest)


class Harness:
    """A paced bidder and its receiver on one fake clock."""

    def __init__(
        self,
        catalog_data: dict[str, Any],
        exchanges: dict[str, ExchangeOptions] | None = None,
        clock: FakeClock | None = None,
    ) -> None:
        self.clock = clock or FakeClock()
        self.loop: PacingLoop = build_pacing(PacingSettings(), self.clock)
        assert isinstance(self.loop.ledger, LocalLedger)
        self.ledger: LocalLedger = self.loop.ledger
        self.state = self.loop.state
        snapshot = compile_catalog(parse_catalog(catalog_data), "openbid")
        config = BidderConfig(notice_base_url=BASE, signing_keys=KEYS)
        self.bidder = Bidder(config, snapshot, pacing=self.state)
        self.receiver = NoticeReceiver(
            KEYS,
            exchanges or {},
            lambda: self.bidder.snapshot,
            lambda: BASE,
            self.state,
            self.loop.submit,
            3600.0,
            self.clock.wall,
        )

    def sync(self) -> None:
        """Every queued notice, then a lease round, as the background loop would."""

        async def run() -> None:
            while self.loop.queued:
                await self.loop.flush()
            await self.loop.tick()

        asyncio.run(run())

    def bid(self, bid_request: BidRequest | None = None, exchange: str = "default") -> Bid | None:
        """Bid on ``bid_request``; the bid, or None."""
        decision = self.bidder.bid(
            bid_request or request(), time.monotonic() + 1, now=self.clock.now, exchange=exchange
        )
        if decision.body is None:
            return None
        seatbids = decode_response(decision.body).seatbid or []
        bids = seatbids[0].bid if seatbids else None
        return bids[0] if bids else None

    def call(self, url: str, price: str = "2.0", loss: str = "102") -> NoticeAnswer:
        """What the notice endpoint answers ``url`` with the exchange's macros filled in."""
        filled = macros.substitute(
            url, {macros.AUCTION_PRICE: price, macros.AUCTION_LOSS: loss}, url_encode=True
        )
        parts = urlsplit(filled)
        return self.receiver.receive(parts.path.rsplit("/", 1)[1], parts.query)
