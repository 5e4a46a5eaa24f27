"""Per impression: the best line item, its creative, deal and price — or how far it got."""

from collections.abc import Sequence

import msgspec

from openbid.bidder.reasons import STAGE_RANK, NoBid
from openbid.catalog.model import MediaType
from openbid.openrtb.model import Audio, BidRequest, Deal, Imp, Video
from openbid.pricing.currency import DEFAULT_CURRENCY, CurrencyTable
from openbid.pricing.money import price_to_micros
from openbid.targeting.compiled import CompiledCreative, CompiledLineItem
from openbid.targeting.features import banner_sizes, normalize_domain
from openbid.targeting.index import iter_bits

EMPTY: frozenset[str] = frozenset()
FIXED_PRICE_AUCTION = 3  # a deal's `at` of 3: the deal's bidfloor is the price to pay


class RequestBlocks:
    """The request's block lists as sets, built once per request."""

    __slots__ = ("badv", "bapp", "bcat")

    def __init__(self, request: BidRequest) -> None:
        self.bcat = frozenset(request.bcat) if request.bcat else EMPTY
        self.badv = frozenset(normalize_domain(d) for d in request.badv) if request.badv else EMPTY
        self.bapp = frozenset(b.lower() for b in request.bapp) if request.bapp else EMPTY


class Choice(msgspec.Struct, frozen=True, gc=False):
    """The bid chosen for one impression; ``price_micros`` is in the response currency."""

    imp: Imp
    line_item: CompiledLineItem
    creative: CompiledCreative
    price_micros: int
    deal_id: str | None


def _timed_media_fits(
    creative: CompiledCreative, media: Video | Audio, protocols: Sequence[int]
) -> bool:
    if media.mimes and not any(m.lower() in creative.mimes for m in media.mimes):
        return False
    if protocols and creative.protocols.isdisjoint(protocols):
        return False
    duration = creative.duration or 0
    if media.rqddurs:
        return duration in media.rqddurs
    if media.minduration is not None and duration < media.minduration:
        return False
    return media.maxduration is None or duration <= media.maxduration


def fitting_creative(
    creatives: Sequence[CompiledCreative],
    imp: Imp,
    sizes: Sequence[tuple[int, int]],
    blocks: RequestBlocks,
) -> CompiledCreative | None:
    """The first creative the impression accepts and no block list forbids."""
    for creative in creatives:
        kind = creative.type
        battr: list[int] | None
        if kind is MediaType.BANNER:
            if imp.banner is None or (sizes and (creative.w, creative.h) not in sizes):
                continue
            battr = imp.banner.battr
        elif kind is MediaType.VIDEO:
            video = imp.video
            if video is None:
                continue
            protocols = video.protocols or ([video.protocol] if video.protocol else [])
            if not _timed_media_fits(creative, video, protocols):
                continue
            battr = video.battr
        elif kind is MediaType.AUDIO:
            audio = imp.audio
            if audio is None or not _timed_media_fits(creative, audio, audio.protocols or []):
                continue
            battr = audio.battr
        else:
            if imp.native is None:
                continue
            battr = imp.native.battr
        if battr and not creative.attr_set.isdisjoint(battr):
            continue
        if blocks.bcat and not creative.cat_closure.isdisjoint(blocks.bcat):
            continue
        if blocks.badv and not creative.adomain_set.isdisjoint(blocks.badv):
            continue
        if blocks.bapp and creative.bundle in blocks.bapp:
            continue
        return creative
    return None


def _floor(
    amount: float | None, currency: str | None, target: str, currencies: CurrencyTable
) -> int | None:
    """A floor in ``target`` micros, rounded up; None when its currency is unknown."""
    if not amount or amount <= 0:
        return 0
    source = currency or DEFAULT_CURRENCY
    if not currencies.knows(source):
        return None
    return currencies.convert(price_to_micros(amount), source, target, round_up=True)


def select_for_imp(
    imp: Imp,
    candidates: int,
    line_items: Sequence[CompiledLineItem],
    blocks: RequestBlocks,
    currencies: CurrencyTable,
    currency: str,
    now: float,
) -> Choice | NoBid:
    """Walk candidates from the highest possible price; keep the best bid at or above floor."""
    stage = NoBid.NO_MATCHING_LINE_ITEM
    if not candidates:
        return stage
    base = currencies.base
    sizes = banner_sizes(imp)
    pmp = imp.pmp
    deals: dict[str, Deal] = {d.id: d for d in pmp.deals or () if d.id} if pmp else {}
    imp_floor = _floor(imp.bidfloor, imp.bidfloorcur, currency, currencies)
    best: Choice | None = None
    best_base = -1

    def reached(step: NoBid) -> None:
        nonlocal stage
        if STAGE_RANK[step] > STAGE_RANK[stage]:
            stage = step

    def offer(
        item: CompiledLineItem,
        creative: CompiledCreative,
        price_base: int,
        price: int,
        floor: int,
        deal_id: str | None,
    ) -> None:
        nonlocal best, best_base
        if price <= 0 or price < floor:
            reached(NoBid.BELOW_FLOOR)
        elif price_base > best_base:
            best_base = price_base
            best = Choice(imp, item, creative, price, deal_id)

    for bit in iter_bits(candidates):
        item = line_items[bit]
        if item.max_price_micros <= best_base:
            break
        if not item.in_flight(now):
            continue
        creative = fitting_creative(item.creatives, imp, sizes, blocks)
        if creative is None:
            reached(NoBid.CREATIVE_FILTERED)
            continue
        if not item.deal_prices:
            if imp_floor is None:
                reached(NoBid.FLOOR_CURRENCY_UNSUPPORTED)
                continue
            price = currencies.convert(item.cpm_micros, base, currency, round_up=False)
            offer(item, creative, item.cpm_micros, price, imp_floor, None)
            continue
        eligible_deal = False
        for deal_id, fixed in item.deal_prices.items():
            deal = deals.get(deal_id)
            if deal is None or (deal.wseat and item.seat not in deal.wseat):
                continue
            eligible_deal = True
            floor = _floor(deal.bidfloor, deal.bidfloorcur, currency, currencies)
            if floor is None:
                reached(NoBid.FLOOR_CURRENCY_UNSUPPORTED)
            elif fixed is None and deal.at == FIXED_PRICE_AUCTION and floor:
                # The exchange names the price; we pay it if the line item would pay that much.
                asked = currencies.convert(floor, currency, base, round_up=True)
                offer(
                    item, creative, asked, floor if asked <= item.cpm_micros else 0, floor, deal_id
                )
            else:
                price_base = item.cpm_micros if fixed is None else fixed
                price = currencies.convert(price_base, base, currency, round_up=False)
                offer(item, creative, price_base, price, floor, deal_id)
        if not eligible_deal:
            reached(NoBid.NO_ELIGIBLE_DEAL)
    return best if best is not None else stage
