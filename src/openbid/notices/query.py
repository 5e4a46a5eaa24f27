"""Reading a notice URL's query back: the signed fields, the signature, the exchange's macros.

The signature covers the query up to ``&s=`` byte for byte, so it is checked on that raw prefix;
only then are the fields decoded. Anything that does not have the shape the bidder wrote is
malformed.
"""

from urllib.parse import unquote

import msgspec

from openbid.notices.signing import SigningKeys
from openbid.notices.urls import SIGNED_FIELDS, verify_notice

_PREFIXES = tuple(f"{name}=" for name in SIGNED_FIELDS)
_TAG_SEPARATOR = "&s="
MAX_QUERY_CHARS = 4096


class SignedNotice(msgspec.Struct, frozen=True, gc=False):
    """A notice whose signature checked out: who bid what, and what the exchange filled in."""

    auction_id: str
    bid_id: str
    imp_id: str
    line_item_id: str
    creative_id: str
    bid_price_micros: int
    currency: str
    issued_at: int
    key_id: str
    exchange: str
    user: str  # hashed user key, hex; empty when the bid had none
    signed: str  # the signed part of the query, as received
    price: str | None  # ``p``: the clearing price as the exchange wrote it
    loss: str | None  # ``r``: the loss reason code


class BadNotice(Exception):  # noqa: N818 -- a verdict on input, not a programming error
    """A notice that is not what the bidder issued: ``status`` says how to answer it."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def _extras(rest: str) -> tuple[str, str | None, str | None]:
    """The tag, then ``p`` and ``r`` (URL-decoded) from what follows ``&s=``; either repeated
    is ambiguous (which price was billed?) and refused."""
    tag, _, tail = rest.partition("&")
    price = loss = None
    for part in tail.split("&") if tail else ():
        name, _, value = part.partition("=")
        if (name == "p" and price is not None) or (name == "r" and loss is not None):
            raise BadNotice(400, f"repeated `{name}`")
        if name == "p":
            price = unquote(value)
        elif name == "r":
            loss = unquote(value)
    return tag, price, loss


def _fields(signed: str) -> list[str]:
    parts = signed.split("&")
    if len(parts) != len(_PREFIXES):
        raise BadNotice(400, "unexpected fields")
    values = []
    for part, prefix in zip(parts, _PREFIXES, strict=True):
        if not part.startswith(prefix):
            raise BadNotice(400, "unexpected fields")
        values.append(part[len(prefix) :])
    return values


def read_notice(keys: SigningKeys, kind: str, query: str) -> SignedNotice:
    """The notice in ``query`` if its ``kind`` signature verifies; raises BadNotice: 400 when
    malformed, 403 when the signature does not verify (forged, tampered or retired key)."""
    if len(query) > MAX_QUERY_CHARS:
        raise BadNotice(400, "query too long")
    signed, separator, rest = query.partition(_TAG_SEPARATOR)
    if not separator:
        raise BadNotice(400, "no signature")
    tag, price, loss = _extras(rest)
    a, b, i, li, c, bp, cur, t, k, x, u = _fields(signed)
    if not verify_notice(keys, kind, signed, k, tag):
        raise BadNotice(403, "bad signature")
    try:
        bid_price, issued_at = int(bp), int(t)
    except ValueError:
        raise BadNotice(400, "unexpected fields") from None
    return SignedNotice(
        auction_id=unquote(a),
        bid_id=b,
        imp_id=unquote(i),
        line_item_id=li,
        creative_id=c,
        bid_price_micros=bid_price,
        currency=cur,
        issued_at=issued_at,
        key_id=k,
        exchange=x,
        user=u,
        signed=signed,
        price=price,
        loss=loss,
    )
