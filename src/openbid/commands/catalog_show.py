"""Rich tables for ``openbid catalog show``: what a catalog holds, and one line item in full."""

from decimal import Decimal
from typing import Any

import msgspec
from rich.console import Group
from rich.table import Table

from openbid.catalog.model import Catalog, Creative, LineItem, Status

CENTS = Decimal("0.01")
_SHOWN_APART = {
    "id",
    "name",
    "status",
    "campaign_id",
    "bid",
    "targeting",
    "creative_ids",
    "deal_ids",
}


def _amount(value: object) -> str:
    """A decimal amount with at least two places, as prices are read: 1.8 -> 1.80."""
    if isinstance(value, Decimal) and value == value.quantize(CENTS):
        return f"{value:.2f}"
    return str(value)


def _bid(item: LineItem) -> tuple[str, str]:
    """The bid strategy's name and its CPM, when it has one."""
    strategy = msgspec.to_builtins(item.bid)["strategy"]
    return strategy, _amount(getattr(item.bid, "cpm", ""))


def _effective_status(item: LineItem, catalog: Catalog) -> str:
    """The line item's status, and what above it stops it bidding."""
    campaign = next((c for c in catalog.campaigns if c.id == item.campaign_id), None)
    advertiser = campaign and next(
        (a for a in catalog.advertisers if a.id == campaign.advertiser_id), None
    )
    if item.status is Status.ACTIVE and campaign and campaign.status is Status.PAUSED:
        return "active (campaign paused)"
    if item.status is Status.ACTIVE and advertiser and advertiser.status is Status.PAUSED:
        return "active (advertiser paused)"
    return str(item.status)


def overview(catalog: Catalog, title: str) -> Group:
    """Entity counts, then one line per line item with its status, bid and campaign."""
    counts = Table(title="entities")
    counts.add_column("entity")
    counts.add_column("count", justify="right")
    for label, entities in (
        ("advertisers", catalog.advertisers),
        ("campaigns", catalog.campaigns),
        ("creatives", catalog.creatives),
        ("deals", catalog.deals),
        ("line items", catalog.line_items),
    ):
        counts.add_row(label, str(len(entities)))
    items = Table(title="line items")
    for column in ("id", "name", "status", "strategy", "cpm", "campaign", "creatives", "deals"):
        numeric = column in ("cpm", "creatives", "deals")
        items.add_column(column, justify="right" if numeric else "left")
    for item in catalog.line_items:
        items.add_row(
            item.id,
            item.name,
            _effective_status(item, catalog),
            *_bid(item),
            item.campaign_id,
            str(len(item.creative_ids)),
            str(len(item.deal_ids)),
        )
    return Group(title, counts, items)


def _text(value: Any) -> str:
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


def _rule_cells(value: Any) -> tuple[str, str]:
    """A targeting rule as (include, exclude) text; any other setting as its value."""
    if isinstance(value, dict) and set(value) <= {"include", "exclude"}:
        return _text(value.get("include", [])), _text(value.get("exclude", []))
    return _text(value), ""


def _creative_shape(creative: Creative) -> str:
    if creative.w and creative.h:
        return f"{creative.w}x{creative.h}"
    return f"{creative.duration}s" if creative.duration else ""


def line_item_detail(item: LineItem, catalog: Catalog) -> Group:
    """One line item: its fields, its targeting rules, its creatives and its deals."""
    fields = Table(title=f"line item {item.id}", show_header=False)
    fields.add_column("field")
    fields.add_column("value")
    fields.add_row("name", item.name)
    fields.add_row("status", _effective_status(item, catalog))
    fields.add_row("campaign", item.campaign_id)
    strategy, cpm = _bid(item)
    fields.add_row("bid", f"{strategy}, {cpm} {catalog.currency} CPM" if cpm else strategy)
    for name, value in msgspec.to_builtins(item).items():
        if name not in _SHOWN_APART:
            fields.add_row(name, str(value))

    targeting = Table(title="targeting (absent rules allow everything)")
    for column in ("rule", "include", "exclude"):
        targeting.add_column(column)
    for name, value in msgspec.to_builtins(item.targeting).items():
        if value:
            targeting.add_row(name, *_rule_cells(value))

    creatives = Table(title="creatives")
    for column in ("id", "type", "size", "status"):
        creatives.add_column(column)
    by_id = {creative.id: creative for creative in catalog.creatives}
    for creative_id in item.creative_ids:
        creative = by_id.get(creative_id)
        if creative is None:
            creatives.add_row(creative_id, "(missing)", "", "")
        else:
            creatives.add_row(
                creative.id, str(creative.type), _creative_shape(creative), str(creative.status)
            )

    deals = Table(title="deals")
    for column in ("id", "name", "fixed price"):
        deals.add_column(column)
    deal_by_id = {deal.id: deal for deal in catalog.deals}
    for deal_id in item.deal_ids:
        deal = deal_by_id.get(deal_id)
        if deal is None:
            deals.add_row(deal_id, "(missing)", "")
        else:
            price = "" if deal.fixed_price is None else _amount(deal.fixed_price)
            deals.add_row(deal.id, deal.name, price)
    return Group(fields, targeting, creatives, *([deals] if item.deal_ids else []))
