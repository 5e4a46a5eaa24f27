"""The catalog compiled into bitset posting lists: a request is matched by intersecting sets."""

from collections.abc import Iterator, Sequence
from datetime import datetime

import msgspec

from openbid.catalog.model import Catalog, Creative, LineItem, MediaType, Status
from openbid.openrtb.model import Imp
from openbid.pricing.money import decimal_to_micros
from openbid.targeting.compiled import MTYPE, CompiledCreative, CompiledLineItem, category_closure
from openbid.targeting.dimension import DimensionIndex
from openbid.targeting.features import RequestFeatures, banner_sizes, normalize_domain


def iter_bits(bits: int) -> Iterator[int]:
    """Positions of the set bits, lowest first."""
    while bits:
        low = bits & -bits
        yield low.bit_length() - 1
        bits ^= low


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
    )


def _later(*moments: datetime | None) -> float | None:
    known = [m.timestamp() for m in moments if m is not None]
    return max(known) if known else None


def _earlier(*moments: datetime | None) -> float | None:
    known = [m.timestamp() for m in moments if m is not None]
    return min(known) if known else None


class TargetingIndex:
    """Line items by bit, and per-dimension posting lists over those bits."""

    def __init__(self, catalog: Catalog, default_seat: str) -> None:
        self.line_items: tuple[CompiledLineItem, ...] = _compile_line_items(catalog, default_seat)
        self.active = (1 << len(self.line_items)) - 1
        self.inventory: DimensionIndex[str] = DimensionIndex()
        self.site_domains: DimensionIndex[str] = DimensionIndex()
        self.app_bundles: DimensionIndex[str] = DimensionIndex()
        self.countries: DimensionIndex[str] = DimensionIndex()
        self.device_types: DimensionIndex[int] = DimensionIndex()
        self.banner_by_size: dict[tuple[int, int], int] = {}
        self.banner_any = self.video = self.audio = self.native = 0
        self.deals: dict[str, int] = {}
        self.open_market = 0
        self.seats: dict[str, int] = {}
        by_id = {item.id: item for item in catalog.line_items}
        for compiled in self.line_items:
            self._add(compiled, by_id[compiled.id])

    def _add(self, compiled: CompiledLineItem, item: LineItem) -> None:
        bit = compiled.bit
        mask = 1 << bit
        rules = item.targeting
        self.inventory.add(bit, rules.inventory, ())
        self.site_domains.add(
            bit,
            [normalize_domain(d) for d in rules.site_domains.include],
            [normalize_domain(d) for d in rules.site_domains.exclude],
        )
        self.app_bundles.add(
            bit,
            [b.lower() for b in rules.app_bundles.include],
            [b.lower() for b in rules.app_bundles.exclude],
        )
        self.countries.add(bit, rules.countries.include, rules.countries.exclude)
        self.device_types.add(bit, rules.device_types.include, rules.device_types.exclude)
        for creative in compiled.creatives:
            if creative.type is MediaType.BANNER and creative.w and creative.h:
                size = (creative.w, creative.h)
                self.banner_by_size[size] = self.banner_by_size.get(size, 0) | mask
                self.banner_any |= mask
            elif creative.type is MediaType.VIDEO:
                self.video |= mask
            elif creative.type is MediaType.AUDIO:
                self.audio |= mask
            elif creative.type is MediaType.NATIVE:
                self.native |= mask
        if compiled.deal_prices:
            for deal_id in compiled.deal_prices:
                self.deals[deal_id] = self.deals.get(deal_id, 0) | mask
        else:
            self.open_market |= mask
        self.seats[compiled.seat] = self.seats.get(compiled.seat, 0) | mask

    def request_mask(
        self,
        features: RequestFeatures,
        wseat: Sequence[str] | None,
        bseat: Sequence[str] | None,
    ) -> int:
        """Line items whose request-level rules (inventory, site, app, geo, device, seat) hold."""
        mask = (
            self.active
            & self.inventory.eligible_one(features.inventory)
            & self.site_domains.eligible(features.domains)
            & self.app_bundles.eligible_one(features.bundle)
            & self.countries.eligible_one(features.country)
            & self.device_types.eligible_one(features.device_type)
        )
        if wseat:
            allowed = 0
            for seat in wseat:
                allowed |= self.seats.get(seat, 0)
            mask &= allowed
        if bseat:
            for seat in bseat:
                mask &= ~self.seats.get(seat, 0)
        return mask

    def imp_mask(self, imp: Imp) -> int:
        """Line items with a creative of a media type the impression offers, in an allowed deal."""
        media = 0
        if imp.banner is not None:
            sizes = banner_sizes(imp)
            if sizes:
                for size in sizes:
                    media |= self.banner_by_size.get(size, 0)
            else:
                media |= self.banner_any
        if imp.video is not None:
            media |= self.video
        if imp.audio is not None:
            media |= self.audio
        if imp.native is not None:
            media |= self.native
        if not media:
            return 0
        pmp = imp.pmp
        if pmp is None:
            return media & self.open_market
        in_deals = 0
        for deal in pmp.deals or ():
            if deal.id is not None:
                in_deals |= self.deals.get(deal.id, 0)
        if pmp.private_auction == 1:
            return media & in_deals
        return media & (in_deals | self.open_market)


def _compile_line_items(catalog: Catalog, default_seat: str) -> tuple[CompiledLineItem, ...]:
    advertisers = {a.id: a for a in catalog.advertisers}
    campaigns = {c.id: c for c in catalog.campaigns}
    creatives = {c.id: c for c in catalog.creatives}
    fixed_prices = {
        d.id: None if d.fixed_price is None else decimal_to_micros(d.fixed_price)
        for d in catalog.deals
    }
    drafts = []
    for item in catalog.line_items:
        campaign = campaigns[item.campaign_id]
        advertiser = advertisers[campaign.advertiser_id]
        if Status.PAUSED in (item.status, campaign.status, advertiser.status):
            continue
        compiled_creatives = tuple(
            _compile_creative(creatives[cid], advertiser.domains)
            for cid in item.creative_ids
            if creatives[cid].status is Status.ACTIVE
        )
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
            )
        )
    # Highest possible price first: the selection walks bits upward and can stop early.
    drafts.sort(key=lambda li: (-li.max_price_micros, li.id))
    return tuple(msgspec.structs.replace(li, bit=bit) for bit, li in enumerate(drafts))
