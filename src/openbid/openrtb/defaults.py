"""The spec's default values, applied where a value is needed rather than baked into the model.

The model keeps an absent field as ``None`` so that it re-encodes as absent; these functions
answer "what does the spec say this means" for the few fields whose absence has a defined
meaning.
"""

from __future__ import annotations

from openbid.openrtb.model import BidRequest, Deal, Imp

__all__ = [
    "DEFAULT_AUCTION_TYPE",
    "DEFAULT_CATEGORY_TAXONOMY",
    "DEFAULT_CURRENCY",
    "auction_type",
    "bid_floor",
    "category_taxonomy",
    "deal_auction_type",
    "deal_floor",
    "deal_floor_currency",
    "floor_currency",
    "is_interstitial",
    "is_test",
    "requires_secure",
]

DEFAULT_AUCTION_TYPE = 2  # second price plus
DEFAULT_CURRENCY = "USD"
DEFAULT_CATEGORY_TAXONOMY = 1  # IAB Content Category Taxonomy 1.0


def auction_type(req: BidRequest) -> int:
    """``req.at``, or 2 (second price plus) when absent."""
    return DEFAULT_AUCTION_TYPE if req.at is None else req.at


def deal_auction_type(deal: Deal, req: BidRequest) -> int:
    """A deal's own ``at`` overrides the request's auction type."""
    return auction_type(req) if deal.at is None else deal.at


def is_test(req: BidRequest) -> bool:
    """True when the request is in test mode (not billable); absent means live."""
    return req.test == 1


def bid_floor(imp: Imp) -> float:
    """``imp.bidfloor``, or 0.0 (no floor) when absent."""
    return 0.0 if imp.bidfloor is None else imp.bidfloor


def floor_currency(imp: Imp) -> str:
    """``imp.bidfloorcur``, or "USD" when absent (or empty)."""
    return imp.bidfloorcur or DEFAULT_CURRENCY


def deal_floor(deal: Deal) -> float:
    """``deal.bidfloor``, or 0.0 when absent."""
    return 0.0 if deal.bidfloor is None else deal.bidfloor


def deal_floor_currency(deal: Deal) -> str:
    """``deal.bidfloorcur``, or "USD": it does not inherit from ``imp.bidfloorcur``."""
    return deal.bidfloorcur or DEFAULT_CURRENCY


def requires_secure(imp: Imp) -> bool:
    """True when the impression needs HTTPS assets; absent means HTTP may be assumed."""
    return imp.secure == 1


def is_interstitial(imp: Imp) -> bool:
    """True for an interstitial or full-screen impression; absent means not."""
    return imp.instl == 1


def category_taxonomy(cattax: int | None) -> int:
    """A ``cattax`` value, or 1 (IAB Content Category Taxonomy 1.0) when absent."""
    return DEFAULT_CATEGORY_TAXONOMY if cattax is None else cattax
