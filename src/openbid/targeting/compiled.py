"""The bid path's view of line items and creatives: flat, precomputed, integer micros."""

from collections.abc import Iterable
from datetime import datetime

import msgspec

from openbid.catalog.model import Catalog, Creative, MediaType, Status
from openbid.pricing.money import decimal_to_micros
from openbid.targeting.normalize import normalize_domain, primary_language, tier1_category

MTYPE = {MediaType.BANNER: 1, MediaType.VIDEO: 2, MediaType.AUDIO: 3, MediaType.NATIVE: 4}


def category_closure(categories: Iterable[str]) -> frozenset[str]:
    """Each IAB category with its tier-1 parent, so that blocking ``IAB8`` blocks ``IAB8-5``."""
    closure = set()
    for category in categories:
        closure.add(category)
        closure.add(tier1_category(category))
    return frozenset(closure)


class CompiledCreative(msgspec.Struct, frozen=True, gc=False):
    """A creative with the sets an impression is checked against."""

    id: str
    type: MediaType
    mtype: int
    adm: str
    serve_on_win: bool
    w: int | None
    h: int | None
    duration: int | None
    mimes: frozenset[str]
    protocols: frozenset[int]
    adomain: list[str]
    adomain_set: frozenset[str]
    cat: list[str]
    cat_closure: frozenset[str]
    attr: list[int]
    attr_set: frozenset[int]
    bundle: str | None
    language: str | None  # lower-case primary language, matched against wlang/wlangb


class CompiledLineItem(msgspec.Struct, frozen=True, gc=False):
    """A line item as the bid path sees it; ``bit`` is its position in every targeting bitset."""

    bit: int
    id: str
    campaign_id: str
    advertiser_id: str
    seat: str
    cpm_micros: int
    max_price_micros: int
    creatives: tuple[CompiledCreative, ...]
    deal_prices: dict[str, int | None]  # deal id -> fixed price micros, None for a floor deal
    start: float | None  # the flight, with the campaign's: epoch seconds, None when open
    end: float | None
    timezone: str  # where the schedule's hours are counted


def _compile_creative(creative: Creative, advertiser_domains: list[str]) -> CompiledCreative:
    adomain = creative.adomain or advertiser_domains
    return CompiledCreative(
        id=creative.id,
        type=creative.type,
        mtype=MTYPE[creative.type],
        adm=creative.adm or "",
        serve_on_win=creative.serve_on_win,
        w=creative.w,
        h=creative.h,
        duration=creative.duration,
        mimes=frozenset(m.lower() for m in creative.mimes),
        protocols=frozenset(creative.protocols),
        adomain=adomain,
        adomain_set=frozenset(normalize_domain(d) for d in adomain),
        cat=creative.cat,
        cat_closure=category_closure(creative.cat),
        attr=creative.attr,
        attr_set=frozenset(creative.attr),
        bundle=creative.bundle.lower() if creative.bundle else None,
        language=primary_language(creative.language),
    )


def _later(*moments: datetime | None) -> float | None:
    known = [m.timestamp() for m in moments if m is not None]
    return max(known) if known else None


def _earlier(*moments: datetime | None) -> float | None:
    known = [m.timestamp() for m in moments if m is not None]
    return min(known) if known else None


def compile_line_items(catalog: Catalog, default_seat: str) -> tuple[CompiledLineItem, ...]:
    """The active line items with an active creative, highest possible price first (bit 0)."""
    advertisers = {a.id: a for a in catalog.advertisers}
    campaigns = {c.id: c for c in catalog.campaigns}
    fixed_prices = {
        d.id: None if d.fixed_price is None else decimal_to_micros(d.fixed_price)
        for d in catalog.deals
    }
    # Each active creative compiled once, shared by every line item that uses it.
    compiled = {
        c.id: _compile_creative(c, advertisers[c.advertiser_id].domains)
        for c in catalog.creatives
        if c.status is Status.ACTIVE
    }
    drafts = []
    for item in catalog.line_items:
        campaign = campaigns[item.campaign_id]
        advertiser = advertisers[campaign.advertiser_id]
        if Status.PAUSED in (item.status, campaign.status, advertiser.status):
            continue
        compiled_creatives = tuple(compiled[cid] for cid in item.creative_ids if cid in compiled)
        if not compiled_creatives:
            continue
        cpm = decimal_to_micros(item.bid.cpm)
        deal_prices = {deal_id: fixed_prices[deal_id] for deal_id in item.deal_ids}
        fixed = [price for price in deal_prices.values() if price is not None]
        drafts.append(
            CompiledLineItem(
                bit=0,
                id=item.id,
                campaign_id=campaign.id,
                advertiser_id=advertiser.id,
                seat=advertiser.seat or default_seat,
                cpm_micros=cpm,
                max_price_micros=max([cpm, *fixed]),
                creatives=compiled_creatives,
                deal_prices=deal_prices,
                start=_later(item.start, campaign.start),
                end=_earlier(item.end, campaign.end),
                timezone=item.timezone or advertiser.timezone,
            )
        )
    # Highest possible price first: the selection walks bits upward and can stop early.
    drafts.sort(key=lambda li: (-li.max_price_micros, li.id))
    return tuple(msgspec.structs.replace(li, bit=bit) for bit, li in enumerate(drafts))
