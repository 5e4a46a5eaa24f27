"""OpenRTB substitution macros for ``nurl``, ``burl``, ``lurl`` and markup.

The exchange replaces each ``${NAME}`` with the auction's value when it calls a notice URL or
serves markup. :func:`substitute` does the same (for the exchange simulator, and for tests): one
pass over the template, so a value that itself contains ``${...}`` is never expanded again.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import quote

__all__ = [
    "ALL_MACROS",
    "AUCTION_AD_ID",
    "AUCTION_BID_ID",
    "AUCTION_CURRENCY",
    "AUCTION_ID",
    "AUCTION_IMP_ID",
    "AUCTION_IMP_TS",
    "AUCTION_LOSS",
    "AUCTION_MBR",
    "AUCTION_MIN_TO_WIN",
    "AUCTION_MULTIPLIER",
    "AUCTION_PRICE",
    "AUCTION_SEAT_ID",
    "substitute",
]

AUCTION_ID = "${AUCTION_ID}"
"""ID of the bid request (``BidRequest.id``)."""
AUCTION_BID_ID = "${AUCTION_BID_ID}"
"""ID of the bid response (``BidResponse.bidid``)."""
AUCTION_IMP_ID = "${AUCTION_IMP_ID}"
"""ID of the impression just won (``Imp.id``)."""
AUCTION_SEAT_ID = "${AUCTION_SEAT_ID}"
"""ID of the bidder seat the bid was made for (``SeatBid.seat``)."""
AUCTION_AD_ID = "${AUCTION_AD_ID}"
"""ID of the ad markup the bidder wishes to serve (``Bid.adid``)."""
AUCTION_PRICE = "${AUCTION_PRICE}"
"""Clearing price, in the currency and units of the bid; may be encrypted by the exchange."""
AUCTION_CURRENCY = "${AUCTION_CURRENCY}"
"""Currency of the bid (``BidResponse.cur``)."""
AUCTION_MBR = "${AUCTION_MBR}"
"""Market bid ratio: clearing price / bid price."""
AUCTION_LOSS = "${AUCTION_LOSS}"
"""Loss reason code (:class:`openbid.openrtb.nobid.LossReason`)."""
AUCTION_MIN_TO_WIN = "${AUCTION_MIN_TO_WIN}"
"""Minimum bid that would have won the auction (where the exchange discloses it)."""
AUCTION_MULTIPLIER = "${AUCTION_MULTIPLIER}"
"""Total quantity of impressions won (``Imp.qty.multiplier``), e.g. for DOOH."""
AUCTION_IMP_TS = "${AUCTION_IMP_TS}"
"""Unix timestamp in milliseconds of when the impression was fulfilled (e.g. DOOH play)."""

ALL_MACROS: tuple[str, ...] = (
    AUCTION_ID,
    AUCTION_BID_ID,
    AUCTION_IMP_ID,
    AUCTION_SEAT_ID,
    AUCTION_AD_ID,
    AUCTION_PRICE,
    AUCTION_CURRENCY,
    AUCTION_MBR,
    AUCTION_LOSS,
    AUCTION_MIN_TO_WIN,
    AUCTION_MULTIPLIER,
    AUCTION_IMP_TS,
)
"""Every macro the spec defines."""

_MACRO = re.compile(r"\$\{([A-Za-z0-9_]+)\}")


def substitute(template: str, values: Mapping[str, str], *, url_encode: bool = False) -> str:
    """Replace each ``${NAME}`` found in ``values``; leave every other ``${...}`` untouched.

    Keys may be the macro itself (``"${AUCTION_PRICE}"``, as the constants here) or its bare
    name (``"AUCTION_PRICE"``). With ``url_encode``, values are percent-encoded (every reserved
    character, including ``/``, ``&`` and ``=``), as needed when the template is a URL.
    """
    if "${" not in template:
        return template

    def replace(match: re.Match[str]) -> str:
        value = values.get(match[0])
        if value is None:
            value = values.get(match[1])
            if value is None:
                return match[0]
        return quote(value, safe="") if url_encode else value

    return _MACRO.sub(replace, template)
