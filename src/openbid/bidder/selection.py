"""Per impression: the best line item, its creative, deal and price — or how far it got."""

from collections.abc import Sequence

import msgspec

from openbid.bidder.reasons import IMP_STAGES, STAGE_RANK, NoBid
from openbid.catalog.model import MediaType
from openbid.openrtb.model import Audio, BidRequest, Deal, Imp, Video
from openbid.pricing.currency import DEFAULT_CURRENCY, CurrencyTable
from openbid.pricing.money import price_to_micros
from openbid.targeting.bitset import iter_bits
from openbid.targeting.compiled import CompiledCreative, CompiledLineItem
from openbid.targeting.features import banner_sizes
from openbid.targeting.normalize import normalize_domain, primary_language

EMPTY: frozenset[str] = frozenset()
FIXED_PRICE_AUCTION = 3  # a deal's `at` of 3: the deal's bidfloor is the price to pay


def _allowed_languages(request: BidRequest) -> frozenset[str]:
    """The primary languages of ``wlang`` (ISO 639-1) and ``wlangb`` (BCP 47) together."""
    tags = [*(request.wlang or ()), *(request.wlangb or ())]
    return frozenset(language for language in map(primary_language, tags) if language)


class RequestBlocks:
    """The request's block lists (and its creative language allow list) as sets, built once."""

    __slots__ = ("badv", "bapp", "bcat", "wlang")

    def __init__(self, request: BidRequest) -> None:
        self.bcat = frozenset(request.bcat) if request.bcat else EMPTY
        self.badv = frozenset(normalize_domain(d) for d in request.badv) if request.badv else EMPTY
        self.bapp = frozenset(b.lower() for b in request.bapp) if request.bapp else EMPTY
        # A creative must be in one of these languages; one without a language never is.
        self.wlang = _allowed_languages(request) if request.wlang or request.wlangb else EMPTY


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
        if blocks.wlang and creative.language not in blocks.wlang:
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


Offer = tuple[int, int, int | None, str | None]  # price in base, price, floor, deal id


def _deal_offers(
    item: CompiledLineItem,
    deals: dict[str, Deal],
    currencies: CurrencyTable,
    currency: str,
) -> list[Offer]:
    """``(price in base, price, floor, deal id)`` for each of the item's deals on offer here."""
    base = currencies.base
    offers: list[Offer] = []
    for deal_id, fixed in item.deal_prices.items():
        deal = deals.get(deal_id)
        if deal is None or (deal.wseat and item.seat not in deal.wseat):
            continue
        floor = _floor(deal.bidfloor, deal.bidfloorcur, currency, currencies)
        if floor and fixed is None and deal.at == FIXED_PRICE_AUCTION:
            # The exchange names the price; we pay it if the line item would pay that much.
            asked = currencies.convert(floor, currency, base, round_up=True)
            offers.append((asked, floor if asked <= item.cpm_micros else 0, floor, deal_id))
        else:
            price_base = item.cpm_micros if fixed is None else fixed
            price = currencies.convert(price_base, base, currency, round_up=False)
            offers.append((price_base, price, floor, deal_id))
    return offers


_CREATIVE_FILTERED = STAGE_RANK[NoBid.CREATIVE_FILTERED]
_NO_ELIGIBLE_DEAL = STAGE_RANK[NoBid.NO_ELIGIBLE_DEAL]
_FLOOR_CURRENCY = STAGE_RANK[NoBid.FLOOR_CURRENCY_UNSUPPORTED]
_BELOW_FLOOR = STAGE_RANK[NoBid.BELOW_FLOOR]


def select_for_imp(
    imp: Imp,
    candidates: int,
    line_items: Sequence[CompiledLineItem],
    blocks: RequestBlocks,
    currencies: CurrencyTable,
    currency: str,
) -> Choice | NoBid:
    """Walk candidates from the highest possible price; keep the best bid at or above floor.

    Every targeting rule, flights and schedules included, is already in ``candidates``.
    """
    if not candidates:
        return NoBid.NO_MATCHING_LINE_ITEM
    stage = 0  # rank in IMP_STAGES of the furthest stage reached
    base = currencies.base
    sizes = banner_sizes(imp)
    pmp = imp.pmp
    deals: dict[str, Deal] = {d.id: d for d in pmp.deals or () if d.id} if pmp else {}
    imp_floor = _floor(imp.bidfloor, imp.bidfloorcur, currency, currencies)
    best: Choice | None = None
    best_base = -1
    for bit in iter_bits(candidates):
        item = line_items[bit]
        if item.max_price_micros <= best_base:
            break
        creative = fitting_creative(item.creatives, imp, sizes, blocks)
        if creative is None:
            stage = max(stage, _CREATIVE_FILTERED)
            continue
        offers: list[Offer]
        if item.deal_prices:
            offers = _deal_offers(item, deals, currencies, currency)
            if not offers:
                stage = max(stage, _NO_ELIGIBLE_DEAL)
                continue
        else:
            price = currencies.convert(item.cpm_micros, base, currency, round_up=False)
            offers = [(item.cpm_micros, price, imp_floor, None)]
        for price_base, price, floor, deal_id in offers:
            if floor is None:
                stage = max(stage, _FLOOR_CURRENCY)
            elif price <= 0 or price < floor:
                stage = max(stage, _BELOW_FLOOR)
            elif price_base > best_base:
                best_base = price_base
                best = Choice(imp, item, creative, price, deal_id)
    return best if best is not None else IMP_STAGES[stage]
