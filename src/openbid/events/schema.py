"""The event schema, version 1: one flat struct for every kind of event the bidder records.

Flat on purpose: each field is one column in Parquet, Athena, DuckDB or Spark, with no nested
types to unnest. Fields a kind does not use stay ``None`` and are left out of JSON lines. The
Arrow schema is derived from this struct (:mod:`openbid.events.arrow`), so this is the one place
a column is declared. Adding a field with a default is a compatible change; renaming, removing
or retyping one needs a new ``SCHEMA_VERSION``.
"""

from enum import StrEnum
from typing import Annotated

import msgspec

SCHEMA_VERSION = 1
"""Written into every event as ``schema_version``."""

TIMESTAMP = "timestamp_us_utc"
"""The ``arrow`` hint of an integer field holding UTC epoch microseconds."""

Micros = Annotated[
    int, msgspec.Meta(description="UTC epoch microseconds", extra={"arrow": TIMESTAMP})
]


class EventKind(StrEnum):
    """What happened: a bid sent, a sampled no-bid, a notice received, or a notice refused."""

    BID = "bid"
    NOBID = "nobid"
    WIN = "win"
    BILL = "bill"
    LOSS = "loss"
    IMPRESSION = "impression"
    CLICK = "click"
    REJECTED_NOTICE = "rejected_notice"


class Deployment(StrEnum):
    """Which side of a canary deploy the bidder that recorded the event was on."""

    STABLE = "stable"
    CANARY = "canary"


class Event(msgspec.Struct, omit_defaults=True, gc=False):
    """One recorded event; prices are integer micros of ``currency`` per thousand (CPM).

    Not keyword-only: :mod:`openbid.events.build` constructs events positionally, five times
    faster than by keyword for this many fields, so the field order is part of the schema.
    """

    schema_version: int
    """``SCHEMA_VERSION`` when written; required, so that it is in every JSON line."""
    event_id: str
    kind: EventKind
    ts: Micros
    auction_id: str | None = None
    imp_id: str | None = None
    bid_id: str | None = None
    exchange: str | None = None
    line_item: str | None = None
    campaign: str | None = None
    advertiser: str | None = None
    creative: str | None = None
    deal: str | None = None
    bid_price_micros: int | None = None
    clearing_price_micros: int | None = None
    currency: str | None = None
    loss_reason: int | None = None
    """OpenRTB loss reason code (``${AUCTION_LOSS}``) of a ``loss`` event."""
    nobid_reason: str | None = None
    """openbid's no-bid reason (``no_matching_line_item``, ``below_floor``, ...)."""
    sample_rate: int | None = None
    """A sampled ``nobid`` stands for this many no-bids."""
    notice_kind: str | None = None
    """The notice a ``rejected_notice`` event refused: ``win``, ``bill``, ``loss``, ..."""
    rejected_reason: str | None = None
    """Why a notice was refused: ``bad_signature``, ``duplicate``, ``expired``, ..."""
    user_key: str | None = None
    """A keyed hash of the user id: stable for joins and frequency analysis, never the id."""
    country: str | None = None
    region: str | None = None
    device_type: int | None = None
    """OpenRTB ``device.devicetype``."""
    os: str | None = None
    bidder_version: str | None = None
    deployment: Deployment | None = None
    task: str | None = None
    """The ECS task id, else the host name, of the bidder that recorded the event."""
