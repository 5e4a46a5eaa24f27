"""The catalog as ad operations write it: advertisers, campaigns, line items, creatives, deals.

Prices are decimal amounts in the catalog's currency as people write them (``cpm: 2.50``); they
become integer micros when the catalog is compiled for the bid path.
"""

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Generic, TypeVar

import msgspec

Id = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")]
CountryCode = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{3}$")]
RegionCode = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{2}-[A-Z0-9]{1,3}$")]  # ISO 3166-2
LanguageCode = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z]{2,3}$")]  # ISO 639 primary
SegmentKey = Annotated[str, msgspec.Meta(pattern=r"^[^:]+:.+$")]  # "provider:segment"
ClockTime = Annotated[str, msgspec.Meta(pattern=r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$")]
Latitude = Annotated[float, msgspec.Meta(ge=-90, le=90)]
Longitude = Annotated[float, msgspec.Meta(ge=-180, le=180)]
RadiusKm = Annotated[float, msgspec.Meta(gt=0, le=1000)]
Taxonomy = Annotated[int, msgspec.Meta(ge=1)]
CurrencyCode = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{3}$")]
Dimension = Annotated[int, msgspec.Meta(gt=0, le=100_000)]
Instant = Annotated[datetime, msgspec.Meta(tz=True)]
Period = Annotated[str, msgspec.Meta(pattern=r"^[1-9][0-9]{0,5}[smhd]$")]  # "24h", "30m", "7d"
T = TypeVar("T")


class Spec(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """Base of catalog structs: typos in a catalog file are errors, not silently ignored."""


class Status(StrEnum):
    """Whether an entity may bid."""

    ACTIVE = "active"
    PAUSED = "paused"


class MediaType(StrEnum):
    """The kind of ad a creative is; maps to OpenRTB's ``mtype``."""

    BANNER = "banner"
    VIDEO = "video"
    AUDIO = "audio"
    NATIVE = "native"


class Rule(Spec, Generic[T]):
    """Include and exclude lists for one targeting dimension; an empty rule allows everything."""

    include: list[T] = []
    exclude: list[T] = []


class CategoryRule(Rule[str]):
    """Content categories in one taxonomy (OpenRTB ``cattax``; 1 = IAB Content Taxonomy 1.0)."""

    cattax: Taxonomy = 1


class Circle(Spec):
    """A point and a radius: the impression's location must lie within ``radius_km`` of it."""

    lat: Latitude
    lon: Longitude
    radius_km: RadiusKm


class VersionRange(Spec):
    """Inclusive OS version bounds such as ``"14"`` or ``"10.3.1"``; ``max: "17"`` admits 17.x."""

    min: str | None = None
    max: str | None = None


class SupplyChainRule(Spec):
    """Conditions on ``source.schain``: a complete chain, at most so many nodes."""

    complete: bool = False
    max_nodes: Annotated[int, msgspec.Meta(ge=1)] | None = None


class Weekday(StrEnum):
    """A day of the week as a schedule names it."""

    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"


class Window(Spec):
    """Hours on some days (all days when none are named), in the line item's time zone.

    ``to`` before ``from`` runs past midnight into the next day; ``to`` may be ``"24:00"``.
    """

    from_: ClockTime = msgspec.field(name="from")
    to: ClockTime
    days: list[Weekday] = []


class Targeting(Spec):
    """Which impressions a line item wants; every present rule must hold."""

    site_domains: Rule[str] = msgspec.field(default_factory=Rule)
    app_bundles: Rule[str] = msgspec.field(default_factory=Rule)
    countries: Rule[CountryCode] = msgspec.field(default_factory=Rule)
    device_types: Rule[int] = msgspec.field(default_factory=Rule)
    inventory: list[Annotated[str, msgspec.Meta(pattern="^(site|app|dooh)$")]] = []
    publishers: Rule[str] = msgspec.field(default_factory=Rule)
    categories: CategoryRule = msgspec.field(default_factory=CategoryRule)
    regions: Rule[RegionCode] = msgspec.field(default_factory=Rule)
    metros: Rule[str] = msgspec.field(default_factory=Rule)
    cities: Rule[str] = msgspec.field(default_factory=Rule)
    geo_radius: Rule[Circle] = msgspec.field(default_factory=Rule)
    os: Rule[str] = msgspec.field(default_factory=Rule)
    os_version: VersionRange = msgspec.field(default_factory=VersionRange)
    device_makes: Rule[str] = msgspec.field(default_factory=Rule)
    connection_types: Rule[int] = msgspec.field(default_factory=Rule)
    languages: Rule[LanguageCode] = msgspec.field(default_factory=Rule)
    segments: Rule[SegmentKey] = msgspec.field(default_factory=Rule)
    exchanges: Rule[str] = msgspec.field(default_factory=Rule)
    schain: SupplyChainRule = msgspec.field(default_factory=SupplyChainRule)
    schedule: list[Window] = []


class Budget(Spec):
    """Spend limits in the catalog currency (enforced by the pacing subsystem)."""

    total: Decimal | None = None
    daily: Decimal | None = None


class Pacing(StrEnum):
    """How a line item spends its daily budget: evenly over the day, or as fast as it can."""

    EVEN = "even"
    ASAP = "asap"


class FrequencyCap(Spec):
    """At most ``max`` impressions per user in any rolling window of ``per`` (e.g. ``24h``)."""

    max: Annotated[int, msgspec.Meta(ge=1, le=1000)]
    per: Period


class FixedCpm(Spec, tag="fixed_cpm", tag_field="strategy"):
    """Bid the same CPM on every impression the line item wins."""

    cpm: Decimal


BidStrategy = FixedCpm


class Advertiser(Spec):
    """A buyer: owns campaigns and creatives; bids under its own seat when it has one."""

    id: Id
    name: str
    domains: list[str]
    seat: str | None = None
    timezone: str = "UTC"
    status: Status = Status.ACTIVE


class Campaign(Spec):
    """A flight of line items for one advertiser, with its own budget."""

    id: Id
    advertiser_id: Id
    name: str
    status: Status = Status.ACTIVE
    start: Instant | None = None
    end: Instant | None = None
    budget: Budget | None = None
    frequency_caps: list[FrequencyCap] = []


class Creative(Spec):
    """An ad: markup inline (``adm``) or served on win, with the metadata exchanges check."""

    id: Id
    advertiser_id: Id
    type: MediaType
    adm: str | None = None
    serve_on_win: bool = False
    w: Dimension | None = None
    h: Dimension | None = None
    duration: Annotated[int, msgspec.Meta(gt=0, le=3600)] | None = None
    mimes: list[str] = []
    protocols: list[int] = []
    adomain: list[str] = []
    cat: list[str] = []
    attr: list[int] = []
    bundle: str | None = None
    language: LanguageCode | None = None
    landing_url: str | None = None
    status: Status = Status.ACTIVE


class Deal(Spec):
    """A private-marketplace deal the exchange sends in ``imp.pmp.deals``."""

    id: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
    name: str = ""
    fixed_price: Decimal | None = None


class LineItem(Spec):
    """The unit that bids: targeting, a bid strategy, creatives and optional deals."""

    id: Id
    campaign_id: Id
    name: str
    bid: BidStrategy
    creative_ids: list[Id]
    targeting: Targeting = msgspec.field(default_factory=Targeting)
    deal_ids: list[str] = []
    status: Status = Status.ACTIVE
    start: Instant | None = None
    end: Instant | None = None
    timezone: str | None = None  # for the schedule; the advertiser's time zone when absent
    budget: Budget | None = None
    pacing: Pacing = Pacing.ASAP  # catalogs written before pacing keep their delivery
    frequency_caps: list[FrequencyCap] = []


class Catalog(Spec):
    """Everything the bidder may buy with, as loaded from a file or the catalog store."""

    currency: CurrencyCode = "USD"
    currency_rates: dict[CurrencyCode, Decimal] = {}
    advertisers: list[Advertiser] = []
    campaigns: list[Campaign] = []
    creatives: list[Creative] = []
    deals: list[Deal] = []
    line_items: list[LineItem] = []
