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
CurrencyCode = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{3}$")]
Dimension = Annotated[int, msgspec.Meta(gt=0, le=100_000)]
Instant = Annotated[datetime, msgspec.Meta(tz=True)]
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


class Targeting(Spec):
    """Which impressions a line item wants; every present rule must hold."""

    site_domains: Rule[str] = msgspec.field(default_factory=Rule)
    app_bundles: Rule[str] = msgspec.field(default_factory=Rule)
    countries: Rule[CountryCode] = msgspec.field(default_factory=Rule)
    device_types: Rule[int] = msgspec.field(default_factory=Rule)
    inventory: list[Annotated[str, msgspec.Meta(pattern="^(site|app|dooh)$")]] = []


class Budget(Spec):
    """Spend limits in the catalog currency (enforced by the pacing subsystem)."""

    total: Decimal | None = None
    daily: Decimal | None = None


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
    budget: Budget | None = None


class Catalog(Spec):
    """Everything the bidder may buy with, as loaded from a file or the catalog store."""

    currency: CurrencyCode = "USD"
    currency_rates: dict[CurrencyCode, Decimal] = {}
    advertisers: list[Advertiser] = []
    campaigns: list[Campaign] = []
    creatives: list[Creative] = []
    deals: list[Deal] = []
    line_items: list[LineItem] = []
