"""The notice URLs of a bid: win, billing and loss, and the impression and click trackers that go
into its markup. Signed fields first, exchange macros after.

One HMAC (SHA-512) over the canonical query is computed per bid; each notice kind carries its own
10-byte slice of it, so a URL of one kind cannot be turned into another kind (knowing one slice
of an HMAC says nothing of the others) and signing costs one MAC per bid, not five.
"""

import hmac
import re
from urllib.parse import quote

from openbid.notices.signing import SigningKeys
from openbid.openrtb.macros import AUCTION_LOSS, AUCTION_PRICE

WIN = "win"
BILLING = "bill"
LOSS = "loss"
IMPRESSION = "imp"
CLICK = "click"
KINDS = (WIN, BILLING, LOSS, IMPRESSION, CLICK)
TAG_BYTES = 10

SIGNED_FIELDS = ("a", "b", "i", "l", "c", "bp", "cur", "t", "k", "x", "u")
_URL_SAFE = re.compile(r"[A-Za-z0-9._~-]*")
_TAG_START = {kind: n * TAG_BYTES for n, kind in enumerate(KINDS)}


def _encode(value: str) -> str:
    return value if _URL_SAFE.fullmatch(value) else quote(value, safe="")


def signed_query(
    auction_id: str,
    bid_id: str,
    imp_id: str,
    line_item_id: str,
    creative_id: str,
    bid_price_micros: int,
    currency: str,
    issued_at: int,
    key_id: str,
    exchange: str,
    user: str,
) -> str:
    """The canonical, URL-encoded query of the fields a notice signature covers; ``user`` is the
    hashed user key (hex, empty when unknown) that frequency caps count impressions by."""
    return (
        f"a={_encode(auction_id)}&b={bid_id}&i={_encode(imp_id)}"
        f"&l={line_item_id}&c={creative_id}&bp={bid_price_micros}&cur={currency}"
        f"&t={issued_at}&k={key_id}&x={exchange}&u={user}"
    )


def notice_tag(digest: bytes, kind: str) -> str:
    """The hex slice of a bid's HMAC that signs its ``kind`` notice."""
    start = _TAG_START[kind]
    return digest[start : start + TAG_BYTES].hex()


def verify_notice(keys: SigningKeys, kind: str, query: str, key_id: str, tag: str) -> bool:
    """Whether ``tag`` signs a ``kind`` notice with these signed fields (constant time)."""
    digest = keys.digest(query.encode(), key_id)
    return digest is not None and hmac.compare_digest(notice_tag(digest, kind), tag)


class BidUrls:
    """The notice URLs of one bid; ``impression`` and ``click`` are empty when not asked for."""

    __slots__ = ("billing", "click", "impression", "loss", "win")

    def __init__(self, win: str, billing: str, loss: str, impression: str, click: str) -> None:
        self.win = win
        self.billing = billing
        self.loss = loss
        self.impression = impression
        self.click = click


class NoticeUrls:
    """Builds the notice URLs of a bid under one base URL."""

    __slots__ = ("_base", "_keys")

    def __init__(self, base_url: str, keys: SigningKeys) -> None:
        self._base = base_url.rstrip("/")
        self._keys = keys

    def urls(self, query: str, trackers: bool = False) -> BidUrls:
        """The URLs of a bid whose signed fields are ``query``; with ``trackers``, also the
        impression and click URLs its markup carries."""
        digest = self._keys.digest(query.encode()) or b""
        base = self._base
        impression = click = ""
        if trackers:
            impression = tracker_url(base, IMPRESSION, query, digest)
            click = tracker_url(base, CLICK, query, digest)
        return BidUrls(
            f"{base}/notice/{WIN}?{query}&s={notice_tag(digest, WIN)}&p={AUCTION_PRICE}",
            f"{base}/notice/{BILLING}?{query}&s={notice_tag(digest, BILLING)}&p={AUCTION_PRICE}",
            f"{base}/notice/{LOSS}?{query}&s={notice_tag(digest, LOSS)}&p={AUCTION_PRICE}"
            f"&r={AUCTION_LOSS}",
            impression,
            click,
        )

    @property
    def base(self) -> str:
        """The base URL notices point at."""
        return self._base

    @property
    def key_id(self) -> str:
        """The id of the key new URLs are signed with."""
        return self._keys.active_id


def tracker_url(base: str, kind: str, query: str, digest: bytes) -> str:
    """The impression or click URL of a bid, given its signed fields and their HMAC."""
    return f"{base}/notice/{kind}?{query}&s={notice_tag(digest, kind)}"
