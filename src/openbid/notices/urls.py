"""The win, billing and loss URLs put on each bid: signed fields first, exchange macros after."""

from urllib.parse import quote

from openbid.notices.signing import SigningKeys
from openbid.openrtb.macros import AUCTION_LOSS, AUCTION_PRICE

WIN = "win"
BILLING = "bill"
LOSS = "loss"

SIGNED_FIELDS = ("a", "b", "i", "l", "c", "bp", "cur", "t", "k")


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
        f"a={quote(auction_id, safe='')}&b={bid_id}&i={quote(imp_id, safe='')}"
        f"&l={line_item_id}&c={creative_id}&bp={bid_price_micros}&cur={currency}"
        f"&t={issued_at}&k={key_id}"
    )


def signing_message(kind: str, query: str) -> bytes:
    """What is signed: the notice kind and the canonical query; a win URL can't pose as a bill."""
    return f"{kind}?{query}".encode()


class NoticeUrls:
    """Builds the three notice URLs of a bid under one base URL."""

    __slots__ = ("_base", "_keys")

    def __init__(self, base_url: str, keys: SigningKeys) -> None:
        self._base = base_url.rstrip("/")
        self._keys = keys

    def urls(self, query: str) -> tuple[str, str, str]:
        """``(nurl, burl, lurl)`` for a bid whose signed fields are ``query``."""
        base = self._base
        sign = self._keys.sign
        tail = f"&p={AUCTION_PRICE}"
        return (
            f"{base}/notice/{WIN}?{query}&s={sign(signing_message(WIN, query))}{tail}",
            f"{base}/notice/{BILLING}?{query}&s={sign(signing_message(BILLING, query))}{tail}",
            f"{base}/notice/{LOSS}?{query}&s={sign(signing_message(LOSS, query))}{tail}"
            f"&r={AUCTION_LOSS}",
        )

    @property
    def key_id(self) -> str:
        """The id of the key new URLs are signed with."""
        return self._keys.active_id
