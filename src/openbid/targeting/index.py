"""The catalog compiled into bitset posting lists: a request is matched by intersecting sets.

Every targeting dimension is one part with ``add`` (per line item, at compile time), ``freeze``
and ``step()``, its request-time check; parts no line item uses are left out of the request path.
"""

from collections.abc import Iterable, Sequence
from functools import lru_cache
from operator import attrgetter
from typing import Generic, TypeVar

from openbid.catalog.model import Catalog, LineItem, MediaType
from openbid.openrtb.model import Imp
from openbid.targeting.bitset import from_positions
from openbid.targeting.compiled import CompiledLineItem, compile_line_items
from openbid.targeting.dimension import MultiValueIndex, SingleValueIndex, Step
from openbid.targeting.features import CategoryKey, RequestFeatures, banner_sizes
from openbid.targeting.geo import RadiusIndex
from openbid.targeting.normalize import DOMAIN_CACHE_SIZE, city_name, normalize_domain
from openbid.targeting.schain import SupplyChainIndex
from openbid.targeting.schedule import compile_schedule
from openbid.targeting.timing import TimeIndex
from openbid.targeting.version import VersionIndex, parse_version

Size = tuple[int, int]
K = TypeVar("K")


_normalized_domain = lru_cache(maxsize=DOMAIN_CACHE_SIZE)(normalize_domain)


def _lower(values: Iterable[str]) -> list[str]:
    return [value.strip().lower() for value in values]


def _stripped(values: Iterable[str]) -> list[str]:
    return [value.strip() for value in values]


class _Positions(Generic[K]):
    """Bit positions gathered per key while compiling, turned into bitsets at the end."""

    def __init__(self) -> None:
        self.by_key: dict[K, list[int]] = {}

    def add(self, key: K, bit: int) -> None:
        """File the line item at ``bit`` under ``key``."""
        self.by_key.setdefault(key, []).append(bit)

    def bitsets(self) -> dict[K, int]:
        """Each key's line items as one bitset."""
        return {key: from_positions(bits) for key, bits in self.by_key.items()}


class TargetingIndex:
    """Line items by bit, and per-dimension posting lists over those bits."""

    def __init__(self, catalog: Catalog, default_seat: str) -> None:
        self.line_items: tuple[CompiledLineItem, ...] = compile_line_items(catalog, default_seat)
        self.active = (1 << len(self.line_items)) - 1
        self.inventory: SingleValueIndex[str] = SingleValueIndex(attrgetter("inventory"))
        self.site_domains: MultiValueIndex[str] = MultiValueIndex(attrgetter("domains"))
        self.app_bundles: SingleValueIndex[str] = SingleValueIndex(attrgetter("bundle"))
        self.publishers: SingleValueIndex[str] = SingleValueIndex(RequestFeatures.publisher)
        self.categories: MultiValueIndex[CategoryKey] = MultiValueIndex(RequestFeatures.categories)
        self.countries: SingleValueIndex[str] = SingleValueIndex(attrgetter("country"))
        self.regions: SingleValueIndex[str] = SingleValueIndex(RequestFeatures.region)
        self.metros: SingleValueIndex[str] = SingleValueIndex(RequestFeatures.metro)
        self.cities: SingleValueIndex[str] = SingleValueIndex(RequestFeatures.city)
        self.radius = RadiusIndex()
        self.device_types: SingleValueIndex[int] = SingleValueIndex(attrgetter("device_type"))
        self.os: SingleValueIndex[str] = SingleValueIndex(RequestFeatures.os)
        self.os_version = VersionIndex()
        self.device_makes: SingleValueIndex[str] = SingleValueIndex(RequestFeatures.make)
        self.connection_types: SingleValueIndex[int] = SingleValueIndex(
            RequestFeatures.connection_type
        )
        self.languages: MultiValueIndex[str] = MultiValueIndex(RequestFeatures.languages)
        self.segments: MultiValueIndex[str] = MultiValueIndex(RequestFeatures.segments)
        self.exchanges: SingleValueIndex[str] = SingleValueIndex(attrgetter("exchange"))
        self.schain = SupplyChainIndex()
        self.time = TimeIndex()
        banner_sizes_: _Positions[Size] = _Positions()
        media: _Positions[MediaType] = _Positions()
        deals: _Positions[str | None] = _Positions()
        seats: _Positions[str] = _Positions()
        by_id = {item.id: item for item in catalog.line_items}
        for compiled in self.line_items:
            self._add_rules(compiled, by_id[compiled.id])
            _add_offer(compiled, banner_sizes_, media, deals, seats)
        # Cheap and selective parts first: a request that nothing wants stops early.
        parts = (
            self.time, self.inventory, self.countries, self.device_types, self.exchanges,
            self.publishers, self.site_domains, self.app_bundles, self.regions, self.metros,
            self.cities, self.os, self.os_version, self.device_makes, self.connection_types,
            self.schain, self.languages, self.categories, self.segments, self.radius,
        )  # fmt: skip
        for part in parts:
            part.freeze(self.active)
        self._steps: tuple[Step, ...] = tuple(part.step() for part in parts if part.used)
        self.banner_by_size = banner_sizes_.bitsets()
        kinds = media.bitsets()
        self.banner_any = kinds.get(MediaType.BANNER, 0)
        self.video = kinds.get(MediaType.VIDEO, 0)
        self.audio = kinds.get(MediaType.AUDIO, 0)
        self.native = kinds.get(MediaType.NATIVE, 0)
        offers = deals.bitsets()
        self.open_market = offers.pop(None, 0)
        self.deals: dict[str | None, int] = offers
        self.seats = seats.bitsets()

    def _add_rules(self, compiled: CompiledLineItem, item: LineItem) -> None:
        bit = compiled.bit
        rules = item.targeting
        self.inventory.add(bit, rules.inventory, ())
        self.site_domains.add(
            bit,
            map(_normalized_domain, rules.site_domains.include),
            map(_normalized_domain, rules.site_domains.exclude),
        )
        self.app_bundles.add(
            bit, _lower(rules.app_bundles.include), _lower(rules.app_bundles.exclude)
        )
        self.publishers.add(bit, rules.publishers.include, rules.publishers.exclude)
        cattax = rules.categories.cattax
        self.categories.add(
            bit,
            [(cattax, c) for c in rules.categories.include],
            [(cattax, c) for c in rules.categories.exclude],
        )
        self.countries.add(bit, rules.countries.include, rules.countries.exclude)
        self.regions.add(bit, rules.regions.include, rules.regions.exclude)
        self.metros.add(bit, _stripped(rules.metros.include), _stripped(rules.metros.exclude))
        self.cities.add(
            bit, map(city_name, rules.cities.include), map(city_name, rules.cities.exclude)
        )
        self.radius.add(bit, rules.geo_radius.include, rules.geo_radius.exclude)
        self.device_types.add(bit, rules.device_types.include, rules.device_types.exclude)
        self.os.add(bit, _lower(rules.os.include), _lower(rules.os.exclude))
        low, high = rules.os_version.min, rules.os_version.max
        self.os_version.add(
            bit,
            parse_version(low) if low is not None else None,
            parse_version(high) if high is not None else None,
        )
        self.device_makes.add(
            bit, _lower(rules.device_makes.include), _lower(rules.device_makes.exclude)
        )
        self.connection_types.add(
            bit, rules.connection_types.include, rules.connection_types.exclude
        )
        self.languages.add(bit, _lower(rules.languages.include), _lower(rules.languages.exclude))
        self.segments.add(bit, rules.segments.include, rules.segments.exclude)
        self.exchanges.add(bit, _lower(rules.exchanges.include), _lower(rules.exchanges.exclude))
        self.schain.add(bit, rules.schain.complete, rules.schain.max_nodes)
        self.time.add(
            bit, (compiled.start, compiled.end), compiled.timezone, compile_schedule(rules.schedule)
        )

    def request_mask(
        self,
        features: RequestFeatures,
        wseat: Sequence[str] | None,
        bseat: Sequence[str] | None,
    ) -> int:
        """Line items whose request-level rules (every targeting dimension, seats) hold."""
        mask = self.active
        for step in self._steps:
            mask = step(features, mask)
            if not mask:
                return 0
        if wseat:
            allowed = 0
            for seat in wseat:
                allowed |= self.seats.get(seat, 0)
            mask &= allowed
        if bseat:
            for seat in bseat:
                mask ^= mask & self.seats.get(seat, 0)
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


def _add_offer(
    compiled: CompiledLineItem,
    banner_sizes_: _Positions[Size],
    media: _Positions[MediaType],
    deals: _Positions[str | None],
    seats: _Positions[str],
) -> None:
    """File a line item under its creatives' sizes and media types, its deals and its seat."""
    bit = compiled.bit
    kinds: set[MediaType] = set()
    for creative in compiled.creatives:
        if creative.type is MediaType.BANNER:
            if creative.w and creative.h:
                banner_sizes_.add((creative.w, creative.h), bit)
                kinds.add(MediaType.BANNER)
        else:
            kinds.add(creative.type)
    for kind in kinds:
        media.add(kind, bit)
    offered: Iterable[str | None] = compiled.deal_prices or (None,)  # None: the open market
    for deal_id in offered:
        deals.add(deal_id, bit)
    seats.add(compiled.seat, bit)
