"""Checks a parsed catalog for what its types alone cannot say: references, units and ranges."""

from collections.abc import Iterable
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from openbid.catalog.model import Budget, Campaign, Catalog, Creative, LineItem, MediaType

MAX_CPM = Decimal(10_000)
MICRO = Decimal("0.000001")


def _duplicates(kind: str, ids: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    problems = []
    for index, ident in enumerate(ids):
        if ident in seen:
            problems.append(f"{kind}[{index}].id: duplicate id {ident!r}")
        seen.add(ident)
    return problems


def _amount(path: str, value: Decimal, *, maximum: Decimal | None = None) -> list[str]:
    if not value.is_finite() or value < 0:
        return [f"{path}: must be a non-negative amount, got {value}"]
    if value != value.quantize(MICRO):
        return [f"{path}: at most 6 decimal places (micros), got {value}"]
    if maximum is not None and value > maximum:
        return [f"{path}: must be at most {maximum}, got {value}"]
    return []


def _budget_problems(path: str, budget: Budget | None) -> list[str]:
    if budget is None:
        return []
    problems = []
    for name, value in (("total", budget.total), ("daily", budget.daily)):
        if value is not None:
            problems += _amount(f"{path}.{name}", value)
    return problems


def _creative_problems(path: str, creative: Creative) -> list[str]:
    problems = []
    if not creative.adm:
        problems.append(f"{path}.adm: every creative needs markup (served inline or on win)")
    if creative.type is MediaType.BANNER and (creative.w is None or creative.h is None):
        problems.append(f"{path}: a banner creative needs `w` and `h`")
    if creative.type in (MediaType.VIDEO, MediaType.AUDIO):
        if creative.duration is None:
            problems.append(f"{path}.duration: a {creative.type} creative needs its duration")
        if not creative.mimes:
            problems.append(f"{path}.mimes: a {creative.type} creative needs its MIME types")
    return problems


def _line_item_problems(
    path: str,
    item: LineItem,
    campaigns: dict[str, Campaign],
    creatives: dict[str, Creative],
    deal_ids: set[str],
) -> list[str]:
    problems = []
    owner = campaigns.get(item.campaign_id)
    if owner is None:
        problems.append(f"{path}.campaign_id: unknown campaign {item.campaign_id!r}")
    problems += _amount(f"{path}.bid.cpm", item.bid.cpm, maximum=MAX_CPM)
    if item.bid.cpm == 0:
        problems.append(f"{path}.bid.cpm: must be greater than 0")
    if item.start and item.end and item.start >= item.end:
        problems.append(f"{path}.end: must be after start")
    problems += _budget_problems(f"{path}.budget", item.budget)
    if not item.creative_ids:
        problems.append(f"{path}.creative_ids: a line item needs at least one creative")
    for j, creative_id in enumerate(item.creative_ids):
        creative = creatives.get(creative_id)
        if creative is None:
            problems.append(f"{path}.creative_ids[{j}]: unknown creative {creative_id!r}")
        elif owner is not None and creative.advertiser_id != owner.advertiser_id:
            problems.append(
                f"{path}.creative_ids[{j}]: creative {creative_id!r} belongs to advertiser "
                f"{creative.advertiser_id!r}, not the campaign's {owner.advertiser_id!r}"
            )
    for j, deal_id in enumerate(item.deal_ids):
        if deal_id not in deal_ids:
            problems.append(f"{path}.deal_ids[{j}]: unknown deal {deal_id!r}")
    return problems


def validate(catalog: Catalog) -> list[str]:
    """Every problem found in the catalog, each prefixed with the bad field's path."""
    problems: list[str] = []
    problems += _duplicates("advertisers", (a.id for a in catalog.advertisers))
    problems += _duplicates("campaigns", (c.id for c in catalog.campaigns))
    problems += _duplicates("creatives", (c.id for c in catalog.creatives))
    problems += _duplicates("deals", (d.id for d in catalog.deals))
    problems += _duplicates("line_items", (li.id for li in catalog.line_items))

    for code, rate in catalog.currency_rates.items():
        path = f"currency_rates.{code}"
        if not rate.is_finite() or rate <= 0:
            problems.append(f"{path}: a rate must be positive, got {rate}")
        elif code == catalog.currency and rate != 1:
            problems.append(f"{path}: the catalog currency's own rate must be 1, got {rate}")

    advertiser_ids = {a.id for a in catalog.advertisers}
    for i, adv in enumerate(catalog.advertisers):
        if not adv.domains:
            problems.append(f"advertisers[{i}].domains: at least one advertiser domain is needed")
        try:
            ZoneInfo(adv.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            problems.append(f"advertisers[{i}].timezone: unknown time zone {adv.timezone!r}")

    for i, campaign in enumerate(catalog.campaigns):
        path = f"campaigns[{i}]"
        if campaign.advertiser_id not in advertiser_ids:
            problems.append(f"{path}.advertiser_id: unknown advertiser {campaign.advertiser_id!r}")
        if campaign.start and campaign.end and campaign.start >= campaign.end:
            problems.append(f"{path}.end: must be after start")
        problems += _budget_problems(f"{path}.budget", campaign.budget)

    for i, creative in enumerate(catalog.creatives):
        path = f"creatives[{i}]"
        if creative.advertiser_id not in advertiser_ids:
            problems.append(f"{path}.advertiser_id: unknown advertiser {creative.advertiser_id!r}")
        problems += _creative_problems(path, creative)

    for i, deal in enumerate(catalog.deals):
        if deal.fixed_price is not None:
            problems += _amount(f"deals[{i}].fixed_price", deal.fixed_price, maximum=MAX_CPM)

    campaigns = {c.id: c for c in catalog.campaigns}
    creatives = {c.id: c for c in catalog.creatives}
    deal_ids = {d.id for d in catalog.deals}
    for i, item in enumerate(catalog.line_items):
        problems += _line_item_problems(f"line_items[{i}]", item, campaigns, creatives, deal_ids)
    return problems
