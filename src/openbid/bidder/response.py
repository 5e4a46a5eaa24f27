"""Turns the chosen bids into an OpenRTB bid response with signed notice URLs."""

import itertools
import secrets
from collections.abc import Sequence

from openbid.bidder.selection import Choice
from openbid.catalog.model import MediaType
from openbid.notices.urls import NoticeUrls, signed_query
from openbid.openrtb.model import Bid, BidRequest, BidResponse, SeatBid
from openbid.pricing.money import micros_to_price


class BidIds:
    """Bid ids unique across processes: a random per-process prefix and a counter."""

    __slots__ = ("_counter", "_prefix")

    def __init__(self) -> None:
        self._prefix = secrets.token_hex(4)
        self._counter = itertools.count(1)

    def next(self) -> str:
        """A new bid id."""
        return f"{self._prefix}{next(self._counter):x}"


def _bid(
    request: BidRequest,
    choice: Choice,
    currency: str,
    bid_id: str,
    notices: NoticeUrls,
    issued_at: int,
) -> Bid:
    creative = choice.creative
    item = choice.line_item
    query = signed_query(
        request.id,
        bid_id,
        choice.imp.id,
        item.id,
        creative.id,
        choice.price_micros,
        currency,
        issued_at,
        notices.key_id,
    )
    nurl, burl, lurl = notices.urls(query)
    banner = creative.type is MediaType.BANNER
    return Bid(
        id=bid_id,
        impid=choice.imp.id,
        price=micros_to_price(choice.price_micros),
        nurl=nurl,
        burl=burl,
        lurl=lurl,
        adm=None if creative.serve_on_win else creative.adm,
        adid=creative.id,
        crid=creative.id,
        cid=item.campaign_id,
        adomain=creative.adomain,
        bundle=creative.bundle,
        cat=creative.cat or None,
        attr=creative.attr or None,
        dealid=choice.deal_id,
        w=creative.w if banner else None,
        h=creative.h if banner else None,
        dur=None if banner else creative.duration,
        mtype=creative.mtype,
    )


def build_response(
    request: BidRequest,
    choices: Sequence[Choice],
    currency: str,
    bid_ids: BidIds,
    notices: NoticeUrls,
    issued_at: int,
) -> BidResponse:
    """One seat bid per buyer seat, one bid per impression."""
    seats: dict[str, list[Bid]] = {}
    for choice in choices:
        bid = _bid(request, choice, currency, bid_ids.next(), notices, issued_at)
        seats.setdefault(choice.line_item.seat, []).append(bid)
    return BidResponse(
        id=request.id,
        cur=currency,
        seatbid=[SeatBid(seat=seat, bid=bids) for seat, bids in seats.items()],
    )
