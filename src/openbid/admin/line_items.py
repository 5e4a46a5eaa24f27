"""Line items as ad operations see them: the catalog's, with where each stands right now."""

import time

from openbid.admin.pacing import PacingView
from openbid.admin.schemas import BudgetView, LineItemView
from openbid.bidder.snapshot import CatalogSnapshot
from openbid.catalog.model import Budget, Catalog, Status
from openbid.pricing.money import micros_to_price
from openbid.targeting.compiled import CompiledLineItem

ACTIVE = "active"
PAUSED = "paused"
NO_ACTIVE_CREATIVE = "no_active_creative"
BEFORE_FLIGHT = "before_flight"
AFTER_FLIGHT = "after_flight"
NOT_LOADED = "not_loaded"  # in the catalog, but no snapshot is in service


def compiled_state(item: CompiledLineItem, now: float) -> str:
    """``active``, or outside its flight (with the campaign's) at ``now``."""
    if item.start is not None and now < item.start:
        return BEFORE_FLIGHT
    if item.end is not None and now >= item.end:
        return AFTER_FLIGHT
    return ACTIVE


def _budget(budget: Budget | None) -> BudgetView | None:
    if budget is None:
        return None
    return BudgetView(
        total=None if budget.total is None else str(budget.total),
        daily=None if budget.daily is None else str(budget.daily),
    )


def line_item_views(
    catalog: Catalog | None,
    snapshot: CatalogSnapshot | None,
    pacing: PacingView,
    now: float | None = None,
) -> list[LineItemView]:
    """Every line item of the catalog (of the snapshot alone when the catalog is unknown)."""
    moment = time.time() if now is None else now
    compiled = {item.id: item for item in snapshot.index.line_items} if snapshot else {}
    currency = snapshot.currencies.base if snapshot else (catalog.currency if catalog else "USD")
    if catalog is None:
        return [
            LineItemView(
                id=item.id,
                name=item.id,
                campaign_id=item.campaign_id,
                advertiser_id=item.advertiser_id,
                state=compiled_state(item, moment),
                cpm=str(micros_to_price(item.cpm_micros)),
                currency=currency,
                budget=None,
                pacing=pacing.line_item_state(item.id),
            )
            for item in compiled.values()
        ]
    campaigns = {c.id: c for c in catalog.campaigns}
    advertisers = {a.id: a for a in catalog.advertisers}
    views = []
    for spec in catalog.line_items:
        campaign = campaigns[spec.campaign_id]
        advertiser = advertisers[campaign.advertiser_id]
        found = compiled.get(spec.id)
        if snapshot is None:
            state = NOT_LOADED
        elif found is not None:
            state = compiled_state(found, moment)
        elif Status.PAUSED in (spec.status, campaign.status, advertiser.status):
            state = PAUSED
        else:
            state = NO_ACTIVE_CREATIVE
        views.append(
            LineItemView(
                id=spec.id,
                name=spec.name,
                campaign_id=campaign.id,
                advertiser_id=advertiser.id,
                state=state,
                cpm=str(spec.bid.cpm),
                currency=catalog.currency,
                budget=_budget(spec.budget),
                pacing=pacing.line_item_state(spec.id),
            )
        )
    return views
