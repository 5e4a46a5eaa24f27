"""Checks a parsed catalog for what its types alone cannot say: references, units and ranges."""

import re
from collections.abc import Iterable
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from openbid.catalog.model import (
    Budget,
    Campaign,
    Catalog,
    Creative,
    FrequencyCap,
    LineItem,
    MediaType,
    Rule,
    Targeting,
    VersionRange,
    Window,
)
from openbid.catalog.periods import period_seconds
from openbid.targeting.schedule import clock_minutes
from openbid.targeting.version import in_range, parse_version

MAX_CPM = Decimal(10_000)
MICRO = Decimal("0.000001")
IAB_CONTENT_1_0 = re.compile(r"^IAB[0-9]+(-[0-9]+)?$")
VERSION = re.compile(r"^[0-9]+(\.[0-9]+)*$")
TEXT_RULES = ("publishers", "metros", "cities", "os", "device_makes", "exchanges")
MAX_CAP_SECONDS = 30 * 86400  # impressions are remembered this long at most


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


def _cap_problems(path: str, caps: list[FrequencyCap]) -> list[str]:
    problems = []
    seen: set[int] = set()
    for j, cap in enumerate(caps):
        seconds = period_seconds(cap.per)
        if seconds > MAX_CAP_SECONDS:
            problems.append(f"{path}[{j}].per: at most 30d, got {cap.per!r}")
        if seconds in seen:
            problems.append(f"{path}[{j}].per: two caps over the same period {cap.per!r}")
        seen.add(seconds)
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


def _known_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _blank_values(path: str, rule: Rule[str]) -> list[str]:
    return [
        f"{path}.{side}[{j}]: must not be blank"
        for side, values in (("include", rule.include), ("exclude", rule.exclude))
        for j, value in enumerate(values)
        if not value.strip()
    ]


def _version_problems(path: str, bounds: VersionRange) -> list[str]:
    problems = []
    for name, text in (("min", bounds.min), ("max", bounds.max)):
        if text is not None and not VERSION.match(text):
            problems.append(
                f"{path}.{name}: expected a version like '14' or '10.3.1', got {text!r}"
            )
    if problems or bounds.min is None or bounds.max is None:
        return problems
    low, high = parse_version(bounds.min), parse_version(bounds.max)
    if low is not None and not in_range(low, None, high):
        problems.append(f"{path}.max: {bounds.max!r} is below min {bounds.min!r}")
    return problems


def _window_problems(path: str, window: Window) -> list[str]:
    problems = []
    for name, text in (("from", window.from_), ("to", window.to)):
        if clock_minutes(text) % 60:
            problems.append(f"{path}.{name}: the schedule is by the hour, got {text!r}")
    if window.from_ == "24:00":
        problems.append(f"{path}.from: a window starts at 23:00 at the latest")
    elif clock_minutes(window.from_) == clock_minutes(window.to):
        problems.append(f"{path}.to: equal to from; write 00:00 to 24:00 for a whole day")
    return problems


def _targeting_problems(path: str, rules: Targeting) -> list[str]:
    problems = []
    for name in TEXT_RULES:
        problems += _blank_values(f"{path}.{name}", getattr(rules, name))
    categories = rules.categories
    if categories.cattax == 1:
        for side, values in (("include", categories.include), ("exclude", categories.exclude)):
            problems += [
                f"{path}.categories.{side}[{j}]: {value!r} is not an IAB 1.0 category "
                "(cattax 1) such as IAB8 or IAB8-5"
                for j, value in enumerate(values)
                if not IAB_CONTENT_1_0.match(value)
            ]
    problems += _version_problems(f"{path}.os_version", rules.os_version)
    for j, window in enumerate(rules.schedule):
        problems += _window_problems(f"{path}.schedule[{j}]", window)
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
    if item.timezone is not None and not _known_zone(item.timezone):
        problems.append(f"{path}.timezone: unknown time zone {item.timezone!r}")
    problems += _targeting_problems(f"{path}.targeting", item.targeting)
    problems += _budget_problems(f"{path}.budget", item.budget)
    problems += _cap_problems(f"{path}.frequency_caps", item.frequency_caps)
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
        if not _known_zone(adv.timezone):
            problems.append(f"advertisers[{i}].timezone: unknown time zone {adv.timezone!r}")

    for i, campaign in enumerate(catalog.campaigns):
        path = f"campaigns[{i}]"
        if campaign.advertiser_id not in advertiser_ids:
            problems.append(f"{path}.advertiser_id: unknown advertiser {campaign.advertiser_id!r}")
        if campaign.start and campaign.end and campaign.start >= campaign.end:
            problems.append(f"{path}.end: must be after start")
        problems += _budget_problems(f"{path}.budget", campaign.budget)
        problems += _cap_problems(f"{path}.frequency_caps", campaign.frequency_caps)

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
