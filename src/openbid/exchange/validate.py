"""What an exchange checks of a bid response before it lets the bids into its auction.

Each problem carries the OpenRTB loss reason an exchange would report for it (``${AUCTION_LOSS}``),
so the simulator can reject a bid with the right code; :func:`bid_response_problems` gives the
messages alone.
"""

from collections.abc import Mapping
from typing import NamedTuple

from openbid.openrtb.model import Bid, BidRequest, BidResponse, Imp, SeatBid
from openbid.openrtb.nobid import LossReason

DEFAULT_CURRENCY = "USD"
PRICE_DECIMALS = 6
MTYPE_MEDIA = {1: "banner", 2: "video", 3: "audio", 4: "native"}


class Problem(NamedTuple):
    """One thing wrong with a response, a seat or a bid, and the loss reason it earns."""

    reason: LossReason
    message: str


def _blocked_category(categories: list[str], blocked: set[str]) -> str | None:
    for category in categories:
        if category in blocked or category.partition("-")[0] in blocked:
            return category
    return None


def _imp_sizes(imp: Imp) -> set[tuple[int, int]]:
    banner = imp.banner
    if banner is None:
        return set()
    sizes = {(f.w, f.h) for f in banner.format or () if f.w and f.h}
    if not sizes and banner.w and banner.h:
        sizes.add((banner.w, banner.h))
    return sizes


def _battr(imp: Imp, media: str | None) -> set[int]:
    source = {
        "banner": imp.banner,
        "video": imp.video,
        "audio": imp.audio,
        "native": imp.native,
    }.get(media or "")
    return set(getattr(source, "battr", None) or ())


def convert_floor(
    floor: float | None, floor_currency: str | None, currency: str, rates: Mapping[str, float]
) -> float | None:
    """The floor in ``currency``, or None when it cannot be converted with ``rates``.

    A converted floor is rounded to millionths, the precision prices are held at, so that the
    float error of a conversion (6.00 USD is 5.5200000000000005 EUR) does not fail a bid.
    """
    if not floor:
        return 0.0
    source = floor_currency or DEFAULT_CURRENCY
    if source == currency:
        return floor
    if source in rates and currency in rates:
        return round(floor * rates[currency] / rates[source], PRICE_DECIMALS)
    return None


def _bid_problems(
    request: BidRequest, imp: Imp, bid: Bid, currency: str, rates: Mapping[str, float]
) -> list[Problem]:
    where = f"bid {bid.id!r} (imp {imp.id!r})"
    problems: list[Problem] = []

    def flag(reason: LossReason, text: str) -> None:
        problems.append(Problem(reason, f"{where}: {text}"))

    if bid.price is None or bid.price <= 0:
        flag(LossReason.MISSING_BID_PRICE, "no positive price")
    if not bid.crid:
        flag(LossReason.MISSING_CREATIVE_ID, "no crid")
    if not bid.adm and not bid.nurl:
        flag(LossReason.MISSING_MARKUP, "neither adm nor nurl")
    media = MTYPE_MEDIA.get(bid.mtype or 0)
    if media is None:
        if bid.mtype is not None:
            flag(LossReason.INVALID_BID_RESPONSE, f"unknown mtype {bid.mtype}")
    elif getattr(imp, media) is None:
        flag(
            LossReason.CREATIVE_FILTERED_INCORRECT_FORMAT,
            f"mtype {media} but the impression offers no {media}",
        )
    deals = {d.id: d for d in (imp.pmp.deals or ())} if imp.pmp else {}
    if bid.dealid is not None and bid.dealid not in deals:
        flag(LossReason.INVALID_DEAL_ID, f"deal {bid.dealid!r} not offered")
    if imp.pmp and imp.pmp.private_auction == 1 and bid.dealid is None:
        flag(LossReason.LOST_TO_DEAL_BID, "open-market bid in a private auction")
    deal = deals.get(bid.dealid or "")
    if deal is not None:
        floor = convert_floor(deal.bidfloor, deal.bidfloorcur, currency, rates)
        below = LossReason.BELOW_DEAL_FLOOR
    else:
        floor = convert_floor(imp.bidfloor, imp.bidfloorcur, currency, rates)
        below = LossReason.BELOW_AUCTION_FLOOR
    if bid.price is not None and floor is not None and bid.price < floor:
        flag(below, f"price {bid.price} below floor {floor} {currency}")
    if media == "banner" or (media is None and imp.banner is not None and bid.w and bid.h):
        sizes = _imp_sizes(imp)
        if sizes and (bid.w, bid.h) not in sizes:
            flag(
                LossReason.CREATIVE_FILTERED_SIZE_NOT_ALLOWED,
                f"size {bid.w}x{bid.h} not among {sorted(sizes)}",
            )
    category = _blocked_category(bid.cat or [], set(request.bcat or ()))
    if category is not None:
        flag(LossReason.CREATIVE_FILTERED_CATEGORY_EXCLUSIONS, f"blocked category {category}")
    blocked_domains = {d.lower().removeprefix("www.") for d in request.badv or ()}
    for domain in bid.adomain or ():
        if domain.lower().removeprefix("www.") in blocked_domains:
            flag(LossReason.CREATIVE_FILTERED_ADVERTISER_EXCLUSIONS, f"blocked advertiser {domain}")
    if bid.bundle and bid.bundle.lower() in {b.lower() for b in request.bapp or ()}:
        flag(LossReason.CREATIVE_FILTERED_APP_BUNDLE_EXCLUSIONS, f"blocked app {bid.bundle}")
    attributes = set(bid.attr or ()) & _battr(imp, media)
    if attributes:
        flag(
            LossReason.CREATIVE_FILTERED_ATTRIBUTE_EXCLUSIONS,
            f"blocked attributes {sorted(attributes)}",
        )
    return problems


def response_problems(request: BidRequest, response: BidResponse) -> list[Problem]:
    """What disqualifies the whole response: a wrong ``id`` or a currency the request refuses."""
    problems = []
    if response.id != request.id:
        problems.append(
            Problem(
                LossReason.INVALID_AUCTION_ID,
                f"response id {response.id!r} is not the request id {request.id!r}",
            )
        )
    currency = response.cur or DEFAULT_CURRENCY
    if currency not in (request.cur or [DEFAULT_CURRENCY]):
        problems.append(
            Problem(
                LossReason.INVALID_BID_RESPONSE, f"currency {currency} not allowed by {request.cur}"
            )
        )
    return problems


def seat_problems(request: BidRequest, seatbid: SeatBid) -> list[Problem]:
    """What disqualifies every bid of one seat: a seat outside ``wseat`` or inside ``bseat``."""
    problems = []
    if request.wseat and seatbid.seat not in request.wseat:
        problems.append(
            Problem(LossReason.BUYER_SEAT_BLOCKED, f"seat {seatbid.seat!r} not in wseat")
        )
    if request.bseat and seatbid.seat in request.bseat:
        problems.append(
            Problem(LossReason.BUYER_SEAT_BLOCKED, f"seat {seatbid.seat!r} is in bseat")
        )
    return problems


def bid_problems(
    request: BidRequest,
    imps: Mapping[str, Imp],
    bid: Bid,
    currency: str,
    rates: Mapping[str, float],
) -> list[Problem]:
    """What disqualifies one bid, priced in ``currency``; ``imps`` maps the request's imp ids."""
    imp = imps.get(bid.impid or "")
    if imp is None:
        message = f"bid {bid.id!r}: impid {bid.impid!r} is not in the request"
        return [Problem(LossReason.INVALID_BID_RESPONSE, message)]
    return _bid_problems(request, imp, bid, currency, rates)


def bid_response_problems(
    request: BidRequest, response: BidResponse, rates: Mapping[str, float] | None = None
) -> list[str]:
    """Everything wrong with ``response`` as an answer to ``request``; empty when it is valid.

    ``rates`` (units per one of a common base) lets floors in other currencies be checked.
    """
    rates = rates or {}
    problems = response_problems(request, response)
    currency = response.cur or DEFAULT_CURRENCY
    imps = {imp.id: imp for imp in request.imp}
    for seatbid in response.seatbid or ():
        problems += seat_problems(request, seatbid)
        for bid in seatbid.bid or ():
            problems += bid_problems(request, imps, bid, currency, rates)
    return [problem.message for problem in problems]
