"""The admin API's request and response bodies; their JSON Schemas go into the OpenAPI document."""

from typing import Annotated, Any, Literal

import msgspec

from openbid.admin.tap import MAX_CAPTURE

LevelName = Literal["debug", "info", "warning", "error", "critical"]


class Body(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Base of request bodies: unknown fields are mistakes."""


class Problem(msgspec.Struct, kw_only=True):
    """An error: what went wrong, in a few words."""

    error: str
    detail: str = ""


class CatalogState(msgspec.Struct, kw_only=True):
    """The catalog snapshot in service (all null before one is loaded)."""

    version: str | None
    compiled_at: float | None
    line_items: int


class Status(msgspec.Struct, kw_only=True):
    """What this bidder task is and how it stands."""

    version: str
    tags: dict[str, str]
    started_at: float
    uptime_seconds: float
    ready: bool
    accepting: bool
    log_level: str
    catalog: CatalogState
    config: dict[str, Any]


class BudgetView(msgspec.Struct, kw_only=True):
    """A line item's budget in the catalog currency, as decimals."""

    total: str | None
    daily: str | None


class LineItemView(msgspec.Struct, kw_only=True):
    """One line item: where it stands (``active``, ``paused``, ``no_active_creative``,
    ``before_flight``, ``after_flight``), its price, budget and pacing figures."""

    id: str
    name: str
    campaign_id: str
    advertiser_id: str
    state: str
    cpm: str
    currency: str
    budget: BudgetView | None
    pacing: dict[str, Any]


class LineItemPage(msgspec.Struct, kw_only=True):
    """A page of line items."""

    total: int
    offset: int
    items: list[LineItemView]


class ReasonCount(msgspec.Struct, kw_only=True):
    """How many of the examined requests one reason explains."""

    reason: str
    count: int


class WhyReport(msgspec.Struct, kw_only=True):
    """Why a line item did (not) bid on the last requests: the first stage that stopped it
    on each request; ``bid`` counts the requests it would have bid on."""

    line_item: str
    state: str
    catalog_version: str | None
    examined: int
    bid: int
    reasons: list[ReasonCount]
    sampled_every: int
    oldest: float | None
    newest: float | None


class CaptureOrder(Body):
    """Capture the next ``count`` requests, waiting at most ``timeout_seconds``."""

    count: Annotated[int, msgspec.Meta(ge=1, le=MAX_CAPTURE)] = 10
    timeout_seconds: Annotated[float, msgspec.Meta(gt=0, le=60)] = 5.0


class CapturedExchange(msgspec.Struct, kw_only=True):
    """One request and the answer it got (JSON bodies as JSON, anything else as text)."""

    received_at: float
    exchange: str
    status: int
    request: Any
    response: Any


class Capture(msgspec.Struct, kw_only=True):
    """What a capture collected (fewer than asked when the timeout came first)."""

    requested: int
    captured: list[CapturedExchange]


class LogLevel(Body):
    """The log level of the process."""

    level: LevelName


class ReadinessView(msgspec.Struct, kw_only=True):
    """Whether this task asks for traffic (``accepting``) and is ready for it (``ready``)."""

    accepting: bool
    ready: bool


class ReadinessOrder(Body):
    """``accepting: false`` drains the task (readiness fails); ``true`` takes traffic again."""

    accepting: bool


COMPONENTS = (
    Problem, Status, LineItemPage, WhyReport, CaptureOrder, Capture, LogLevel, ReadinessView,
    ReadinessOrder,
)  # fmt: skip


def component_schemas() -> dict[str, Any]:
    """JSON Schemas of the bodies, for ``components.schemas`` of the OpenAPI document."""
    _, components = msgspec.json.schema_components(
        COMPONENTS, ref_template="#/components/schemas/{name}"
    )
    return components
