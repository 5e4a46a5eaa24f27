"""The win, billing and loss URLs put on each bid: signed fields first, exchange macros after.

One HMAC-SHA256 over the canonical query is computed per bid; each notice kind carries its own
10-byte slice of it, so a URL of one kind cannot be turned into another kind (knowing one slice
of an HMAC says nothing of the others) and signing costs one MAC per bid, not three.
"""

import hmac
import re
from urllib.parse import quote

from openbid.notices.signing import SigningKeys
from openbid.openrtb.macros import AUCTION_LOSS, AUCTION_PRICE

WIN = "win"
BILLING = "bill"
LOSS = "loss"
KINDS = (WIN, BILLING, LOSS)
TAG_BYTES = 10

SIGNED_FIELDS = ("a", "b", "i", "l", "c", "bp", "cur", "t", "k")
_URL_SAFE = re.compile(r"[A-Za-z0-9._~-]*")


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
) -> str:
    """The canonical, URL-encoded query of the fields a notice signature covers."""
    return (
        f"a={_encode(auction_id)}&b={bid_id}&i={_encode(imp_id)}"
        f"&l={line_item_id}&c={creative_id}&bp={bid_price_micros}&cur={currency}"
        f"&t={issued_at}&k={key_id}"
    )


def notice_tag(digest: bytes, kind: str) -> str:
    """The hex slice of a bid's HMAC that signs its ``kind`` notice."""
    start = KINDS.index(kind) * TAG_BYTES
    return digest[start : start + TAG_BYTES].hex()


def verify_notice(keys: SigningKeys, kind: str, query: str, key_id: str, tag: str) -> bool:
    """Whether ``tag`` signs a ``kind`` notice with these signed fields (constant time)."""
    digest = keys.digest(query.encode(), key_id)
    return digest is not None and hmac.compare_digest(notice_tag(digest, kind), tag)


class NoticeUrls:
    """Builds the three notice URLs of a bid under one base URL."""

    __slots__ = ("_base", "_keys")

    def __init__(self, base_url: str, keys: SigningKeys) -> None:
        self._base = base_url.rstrip("/")
        self._keys = keys

    def urls(self, query: str) -> tuple[str, str, str]:
        """``(nurl, burl, lurl)`` for a bid whose signed fields are ``query``."""
        digest = self._keys.digest(query.encode()) or b""
        base = self._base
        return (
            f"{base}/notice/{WIN}?{query}&s={notice_tag(digest, WIN)}&p={AUCTION_PRICE}",
            f"{base}/notice/{BILLING}?{query}&s={notice_tag(digest, BILLING)}&p={AUCTION_PRICE}",
            f"{base}/notice/{LOSS}?{query}&s={notice_tag(digest, LOSS)}&p={AUCTION_PRICE}"
            f"&r={AUCTION_LOSS}",
        )

    @property
    def key_id(self) -> str:
        """The id of the key new URLs are signed with."""
        return self._keys.active_id
