"""Turns the chosen bids into the bytes of an OpenRTB bid response with signed notice URLs.

The fields of a bid that depend only on the line item and creative are JSON-encoded once, when
the catalog is compiled; a response is then those fragments joined with the few per-bid values,
each encoded by msgspec. This keeps the hot path free of per-bid structs and re-encoding of
markup, and the output is the same JSON the ``openbid.openrtb`` model describes.
"""

import itertools
import secrets
from collections.abc import Sequence

import msgspec

from openbid.bidder.selection import Choice
from openbid.catalog.model import MediaType
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


def static_bid_fields(item: CompiledLineItem, creative: CompiledCreative) -> bytes:
    """The JSON members of a bid fixed by its line item and creative, without braces."""
    banner = creative.type is MediaType.BANNER
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
        "adm": None if creative.serve_on_win else creative.adm,
    }
    return _encode({k: v for k, v in fields.items() if v is not None})[1:-1]


def _bid(
    request_id: str,
    choice: Choice,
    fields: bytes,
    currency: str,
    bid_id: str,
    notices: NoticeUrls,
    issued_at: int,
) -> bytes:
    item = choice.line_item
    query = signed_query(
        request_id,
        bid_id,
        choice.imp.id,
        item.id,
        choice.creative.id,
        choice.price_micros,
        currency,
        issued_at,
        notices.key_id,
    )
    nurl, burl, lurl = notices.urls(query)
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
            _encode(nurl),
            b',"burl":',
            _encode(burl),
            b',"lurl":',
            _encode(lurl),
            deal,
            b",",
            fields,
            b"}",
        )
    )


def encode_bid_response(
    request_id: str,
    choices: Sequence[Choice],
    bid_fields: dict[tuple[str, str], bytes],
    currency: str,
    bid_ids: BidIds,
    notices: NoticeUrls,
    issued_at: int,
) -> bytes:
    """The response JSON: one seat bid per buyer seat, one bid per impression."""
    seats: dict[str, list[bytes]] = {}
    for choice in choices:
        fields = bid_fields[choice.line_item.id, choice.creative.id]
        bid = _bid(request_id, choice, fields, currency, bid_ids.next(), notices, issued_at)
        seats.setdefault(choice.line_item.seat, []).append(bid)
    seatbids = b",".join(
        b'{"bid":[' + b",".join(bids) + b'],"seat":' + _encode(seat) + b"}"
        for seat, bids in seats.items()
    )
    return b"".join(
        (b'{"id":', _encode(request_id), b',"seatbid":[', seatbids, b'],"cur":"',
         currency.encode(), b'"}')
    )  # fmt: skip
