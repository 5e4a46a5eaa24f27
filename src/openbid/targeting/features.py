"""What targeting looks at in a bid request, extracted once per request in normalised form.

The dimensions nearly every catalog targets are read when the features are built; every other
one is read only when the catalog targets it.
"""

import time

from openbid.openrtb.model import BidRequest, Content, Geo, Imp
from openbid.targeting.normalize import (
    city_name,
    country_alpha3,
    primary_language,
    region_code,
    site_domains,
    tier1_category,
)

DEFAULT_EXCHANGE = "default"
IAB_CONTENT_1_0 = 1  # OpenRTB `cattax` 1, the default when a request names none

CategoryKey = tuple[int, str]  # (cattax, category id)


def _with_parents(cattax: int, categories: list[str], keys: list[CategoryKey]) -> None:
    for category in categories:
        keys.append((cattax, category))
        if cattax == IAB_CONTENT_1_0 and "-" in category:
            keys.append((cattax, tier1_category(category)))


class RequestFeatures:
    """Request-level targeting values: the same for every impression of the request.

    The attributes, which nearly every catalog targets, are read when the features are built;
    each method reads one more dimension from the request, and is called (once) only by the
    index part of a dimension the catalog uses.
    """

    __slots__ = (
        "bundle", "country", "device_type", "domains", "exchange", "inventory", "now", "request",
    )  # fmt: skip

    def __init__(self, request: BidRequest, exchange: str, now: float) -> None:
        self.request = request
        self.exchange = exchange.lower()
        self.now = now  # epoch seconds: flights and schedules are matched against it
        self.inventory: str | None = None
        self.domains: tuple[str, ...] = ()
        self.bundle: str | None = None
        self.country: str | None = None
        self.device_type: int | None = None

    def publisher(self) -> str | None:
        """``publisher.id`` of the site, app or DOOH screen."""
        request = self.request
        holder = request.site or request.app or request.dooh
        if holder is None or holder.publisher is None:
            return None
        return holder.publisher.id or None

    def categories(self) -> list[CategoryKey]:
        """(cattax, category) of the site/app ``cat``, ``sectioncat``, ``pagecat`` and content
        ``cat``, each IAB 1.0 category with its tier-1 parent."""
        keys: list[CategoryKey] = []
        request = self.request
        holder = request.site or request.app
        content: Content | None = None
        if holder is not None:
            cattax = holder.cattax or IAB_CONTENT_1_0
            for categories in (holder.cat, holder.sectioncat, holder.pagecat):
                if categories:
                    _with_parents(cattax, categories, keys)
            content = holder.content
        elif request.dooh is not None:
            content = request.dooh.content
        if content is not None and content.cat:
            _with_parents(content.cattax or IAB_CONTENT_1_0, content.cat, keys)
        return keys

    def _geos(self) -> tuple[Geo | None, Geo | None]:
        request = self.request
        device_geo = request.device.geo if request.device is not None else None
        return device_geo, request.user.geo if request.user is not None else None

    def region(self) -> str | None:
        """ISO 3166-2 region (``US-NY``) of ``device.geo``, else of ``user.geo``."""
        device_geo, user_geo = self._geos()
        region = (device_geo and device_geo.region) or (user_geo and user_geo.region)
        return region_code(region, self.country) if region else None

    def metro(self) -> str | None:
        """Metro code (e.g. a Nielsen DMA) of ``device.geo``, else of ``user.geo``."""
        device_geo, user_geo = self._geos()
        metro = (device_geo and device_geo.metro) or (user_geo and user_geo.metro)
        return metro.strip() if metro else None

    def city(self) -> str | None:
        """City of ``device.geo``, else of ``user.geo``, case-folded."""
        device_geo, user_geo = self._geos()
        city = (device_geo and device_geo.city) or (user_geo and user_geo.city)
        return city_name(city) if city else None

    def point(self) -> tuple[float, float] | None:
        """(lat, lon) of ``device.geo``, else of ``user.geo``; None unless both are on Earth."""
        for geo in self._geos():
            if geo is not None:
                lat, lon = geo.lat, geo.lon
                # In range, which also rules out infinities.
                if lat is not None and lon is not None and -90 <= lat <= 90 and -180 <= lon <= 180:
                    return lat, lon
        return None

    def os(self) -> str | None:
        """``device.os``, lower-case."""
        device = self.request.device
        if device is None or not device.os:
            return None
        return device.os.strip().lower() or None

    def osv(self) -> str | None:
        """``device.osv`` as sent (parsed, and cached, by the version index)."""
        device = self.request.device
        if device is None or not device.osv:
            return None
        return device.osv

    def make(self) -> str | None:
        """``device.make``, lower-case."""
        device = self.request.device
        if device is None or not device.make:
            return None
        return device.make.strip().lower() or None

    def connection_type(self) -> int | None:
        """``device.connectiontype``."""
        device = self.request.device
        return device.connectiontype if device is not None else None

    def languages(self) -> list[str]:
        """Primary languages of the device and the content (``language`` or ``langb``)."""
        request = self.request
        holder = request.site or request.app or request.dooh
        sources = (request.device, holder.content if holder is not None else None)
        found: list[str] = []
        for source in sources:
            if source is not None:
                for tag in (source.language, source.langb):
                    language = primary_language(tag)
                    if language is not None:
                        found.append(language)
        return found

    def segments(self) -> list[str]:
        """``provider:segment`` for each segment of each ``user.data`` provider."""
        user = self.request.user
        if user is None or not user.data:
            return []
        return [
            f"{data.id}:{segment.id}"
            for data in user.data
            if data.id and data.segment
            for segment in data.segment
            if segment.id
        ]

    def schain(self) -> tuple[bool, int] | None:
        """Whether ``source.schain`` is complete, and its node count; None without a chain."""
        source = self.request.source
        chain = source.schain if source is not None else None
        return (chain.complete == 1, len(chain.nodes or ())) if chain is not None else None


def request_features(
    request: BidRequest, exchange: str = DEFAULT_EXCHANGE, now: float | None = None
) -> RequestFeatures:
    """Extract the request's targeting values; ``now`` (epoch seconds) defaults to the clock."""
    features = RequestFeatures(request, exchange, time.time() if now is None else now)
    site = request.site
    app = request.app
    if site is not None:
        features.inventory = "site"
        raw = site.domain or site.page
        if raw:
            features.domains = site_domains(raw)
    elif app is not None:
        features.inventory = "app"
        if app.bundle:
            features.bundle = app.bundle.strip().lower()
    elif request.dooh is not None:
        features.inventory = "dooh"
    device = request.device
    if device is not None:
        features.device_type = device.devicetype
        if device.geo is not None:
            features.country = country_alpha3(device.geo.country)
    if features.country is None and request.user is not None and request.user.geo is not None:
        features.country = country_alpha3(request.user.geo.country)
    return features


def banner_sizes(imp: Imp) -> tuple[tuple[int, int], ...]:
    """The sizes a banner impression accepts: its ``format`` list, else its ``w`` x ``h``."""
    banner = imp.banner
    if banner is None:
        return ()
    if banner.format:
        return tuple((f.w, f.h) for f in banner.format if f.w and f.h)
    if banner.w and banner.h:
        return ((banner.w, banner.h),)
    return ()
