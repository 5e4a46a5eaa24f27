"""What an exchange checks of a bid response before it lets the bids into its auction."""

from collections.abc import Mapping

from openbid.openrtb.model import Bid, BidRequest, BidResponse, Imp

DEFAULT_CURRENCY = "USD"
MTYPE_MEDIA = {1: "banner", 2: "video", 3: "audio", 4: "native"}


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


def _price_floor(
    floor: float | None, floor_currency: str | None, currency: str, rates: Mapping[str, float]
) -> float | None:
    """The floor in the response currency, or None when it cannot be converted."""
    if not floor:
        return 0.0
    source = floor_currency or DEFAULT_CURRENCY
    if source == currency:
        return floor
    if source in rates and currency in rates:
        return floor * rates[currency] / rates[source]
    return None


def _bid_problems(
    request: BidRequest, imp: Imp, bid: Bid, currency: str, rates: Mapping[str, float]
) -> list[str]:
    where = f"bid {bid.id!r} (imp {imp.id!r})"
    problems = []
    if bid.price is None or bid.price <= 0:
        problems.append(f"{where}: no positive price")
    if not bid.crid:
        problems.append(f"{where}: no crid")
    if not bid.adm and not bid.nurl:
        problems.append(f"{where}: neither adm nor nurl")
    media = MTYPE_MEDIA.get(bid.mtype or 0)
    if media is None:
        if bid.mtype is not None:
            problems.append(f"{where}: unknown mtype {bid.mtype}")
    elif getattr(imp, media) is None:
        problems.append(f"{where}: mtype {media} but the impression offers no {media}")
    deals = {d.id: d for d in (imp.pmp.deals or ())} if imp.pmp else {}
    if bid.dealid is not None and bid.dealid not in deals:
        problems.append(f"{where}: deal {bid.dealid!r} not offered")
    if imp.pmp and imp.pmp.private_auction == 1 and bid.dealid is None:
        problems.append(f"{where}: open-market bid in a private auction")
    deal = deals.get(bid.dealid or "")
    if deal is not None:
        floor = _price_floor(deal.bidfloor, deal.bidfloorcur, currency, rates)
    else:
        floor = _price_floor(imp.bidfloor, imp.bidfloorcur, currency, rates)
    if bid.price is not None and floor is not None and bid.price < floor:
        problems.append(f"{where}: price {bid.price} below floor {floor} {currency}")
    if media == "banner" or (media is None and imp.banner is not None and bid.w and bid.h):
        sizes = _imp_sizes(imp)
        if sizes and (bid.w, bid.h) not in sizes:
            problems.append(f"{where}: size {bid.w}x{bid.h} not among {sorted(sizes)}")
    category = _blocked_category(bid.cat or [], set(request.bcat or ()))
    if category is not None:
        problems.append(f"{where}: blocked category {category}")
    blocked_domains = {d.lower().removeprefix("www.") for d in request.badv or ()}
    for domain in bid.adomain or ():
        if domain.lower().removeprefix("www.") in blocked_domains:
            problems.append(f"{where}: blocked advertiser {domain}")
    if bid.bundle and bid.bundle.lower() in {b.lower() for b in request.bapp or ()}:
        problems.append(f"{where}: blocked app {bid.bundle}")
    attributes = set(bid.attr or ()) & _battr(imp, media)
    if attributes:
        problems.append(f"{where}: blocked attributes {sorted(attributes)}")
    return problems


def bid_response_problems(
    request: BidRequest, response: BidResponse, rates: Mapping[str, float] | None = None
) -> list[str]:
    """Everything wrong with ``response`` as an answer to ``request``; empty when it is valid.

    ``rates`` (units per one of a common base) lets floors in other currencies be checked.
    """
    rates = rates or {}
    problems = []
    if response.id != request.id:
        problems.append(f"response id {response.id!r} is not the request id {request.id!r}")
    currency = response.cur or DEFAULT_CURRENCY
    if currency not in (request.cur or [DEFAULT_CURRENCY]):
        problems.append(f"currency {currency} not allowed by {request.cur}")
    imps = {imp.id: imp for imp in request.imp}
    for seatbid in response.seatbid or ():
        if request.wseat and seatbid.seat not in request.wseat:
            problems.append(f"seat {seatbid.seat!r} not in wseat")
        if request.bseat and seatbid.seat in request.bseat:
            problems.append(f"seat {seatbid.seat!r} is in bseat")
        for bid in seatbid.bid or ():
            imp = imps.get(bid.impid or "")
            if imp is None:
                problems.append(f"bid {bid.id!r}: impid {bid.impid!r} is not in the request")
                continue
            problems += _bid_problems(request, imp, bid, currency, rates)
    return problems
