"""Turns the chosen bids into the bytes of an OpenRTB bid response with signed notice URLs.

The fields of a bid that depend only on the line item and creative are JSON-encoded once, when
the catalog is compiled, with gaps in the markup for the bid's impression and click trackers
(:mod:`openbid.notices.markup`); a response is then those fragments joined with the few per-bid
values, each encoded by msgspec. This keeps the hot path free of per-bid structs and re-encoding
of markup, and the output is the same JSON the ``openbid.openrtb`` model describes.
"""

import itertools
import secrets
from collections.abc import Sequence

import msgspec

from openbid.bidder.selection import Choice
from openbid.catalog.model import MediaType
from openbid.notices.markup import SlotTemplate, tracked_markup
from openbid.notices.urls import NoticeUrls, signed_query
from openbid.pricing.money import micros_to_price
from openbid.targeting.compiled import CompiledCreative, CompiledLineItem

_encode = msgspec.json.Encoder().encode


class BidIds:
    """Bid ids unique across processes: a random per-process prefix and a counter."""

    __slots__ = ("_counter", "_prefix")

    def __init__(self) -> None:
        self._prefix = secrets.token_hex(4)
        self._counter = itertools.count(1)

    def next(self) -> str:
        """A new bid id."""
        return f"{self._prefix}{next(self._counter):x}"


def static_bid_fields(
    item: CompiledLineItem, creative: CompiledCreative, landing_url: str | None
) -> SlotTemplate:
    """The JSON members of a bid fixed by its line item and creative, without braces, with gaps
    in the markup for the bid's impression and click URLs."""
    banner = creative.type is MediaType.BANNER
    markup = None
    if not creative.serve_on_win:
        markup = tracked_markup(creative.adm, creative.type, landing_url)
    fields = {
        "adid": creative.id,
        "crid": creative.id,
        "cid": item.campaign_id,
        "adomain": creative.adomain,
        "bundle": creative.bundle,
        "cat": creative.cat or None,
        "attr": creative.attr or None,
        "mtype": creative.mtype,
        "w": creative.w if banner else None,
        "h": creative.h if banner else None,
        "dur": None if banner else creative.duration,
        "adm": markup or None,
    }
    return SlotTemplate(_encode({k: v for k, v in fields.items() if v is not None})[1:-1])


def win_markup(creative: CompiledCreative, landing_url: str | None) -> SlotTemplate:
    """The markup a serve-on-win creative's win notice answers with, with tracker gaps."""
    return SlotTemplate(tracked_markup(creative.adm, creative.type, landing_url).encode())


class BidContext:
    """What every bid of one response shares: currency, issue time, exchange and user."""

    __slots__ = ("currency", "exchange", "issued_at", "request_id", "user")

    def __init__(
        self, request_id: str, currency: str, issued_at: int, exchange: str, user: str | None
    ) -> None:
        self.request_id = request_id
        self.currency = currency
        self.issued_at = issued_at
        self.exchange = exchange
        self.user = user or ""


def _bid(
    context: BidContext, choice: Choice, template: SlotTemplate, bid_id: str, notices: NoticeUrls
) -> bytes:
    item = choice.line_item
    query = signed_query(
        context.request_id,
        bid_id,
        choice.imp.id,
        item.id,
        choice.creative.id,
        choice.price_micros,
        context.currency,
        context.issued_at,
        notices.key_id,
        context.exchange,
        context.user,
    )
    urls = notices.urls(query, trackers=bool(template.slots))
    deal = b',"dealid":' + _encode(choice.deal_id) if choice.deal_id is not None else b""
    return b"".join(
        (
            b'{"id":"',
            bid_id.encode(),
            b'","impid":',
            _encode(choice.imp.id),
            b',"price":',
            _encode(micros_to_price(choice.price_micros)),
            b',"nurl":',
            _encode(urls.win),
            b',"burl":',
            _encode(urls.billing),
            b',"lurl":',
            _encode(urls.loss),
            deal,
            b",",
            template.fill(urls.impression, urls.click),
            b"}",
        )
    )


def encode_bid_response(
    context: BidContext,
    choices: Sequence[Choice],
    bid_ids: Sequence[str],
    templates: dict[tuple[str, str], SlotTemplate],
    notices: NoticeUrls,
) -> bytes:
    """The response JSON: one seat bid per buyer seat, one bid per impression."""
    seats: dict[str, list[bytes]] = {}
    for choice, bid_id in zip(choices, bid_ids, strict=True):
        template = templates[choice.line_item.id, choice.creative.id]
        bid = _bid(context, choice, template, bid_id, notices)
        seats.setdefault(choice.line_item.seat, []).append(bid)
    seatbids = b",".join(
        b'{"bid":[' + b",".join(bids) + b'],"seat":' + _encode(seat) + b"}"
        for seat, bids in seats.items()
    )
    return b"".join(
        (b'{"id":', _encode(context.request_id), b',"seatbid":[', seatbids, b'],"cur":"',
         context.currency.encode(), b'"}')
    )  # fmt: skip
