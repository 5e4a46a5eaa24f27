"""Budgets, pacing and frequency caps of each line item, compiled from the catalog.

Each line item answers to two scopes: its own and its campaign's. A scope has a total and a
daily budget (either may be absent) and frequency caps; money is integer micros of the catalog
currency per impression's cost. Even pacing follows the daily budget of the line item, or of its
campaign when the line item has none; without a daily budget a line item spends as fast as it can.
"""

from collections.abc import Sequence
from decimal import Decimal

import msgspec

from openbid.catalog.model import Budget, Catalog, FrequencyCap, Pacing
from openbid.catalog.periods import period_seconds
from openbid.pricing.money import decimal_to_micros
from openbid.targeting.compiled import CompiledLineItem

MICROS_PER_MILLE = 1000  # a CPM is the price of a thousand impressions


def impression_cost(cpm_micros: int) -> int:
    """What one impression at ``cpm_micros`` costs, in micros, rounded up."""
    return -(-cpm_micros // MICROS_PER_MILLE)


class CapRule(msgspec.Struct, frozen=True, gc=False):
    """At most ``max`` impressions per user in any ``seconds``."""

    max: int
    seconds: int


class Scope(msgspec.Struct, frozen=True, gc=False):
    """A line item's or a campaign's budgets and caps; ``key`` is ``l:ID`` or ``c:ID``."""

    key: str
    total: int | None
    daily: int | None
    caps: tuple[CapRule, ...]

    @property
    def budgeted(self) -> bool:
        """Whether any budget limits this scope."""
        return self.total is not None or self.daily is not None


class LineItemRules(msgspec.Struct, frozen=True, gc=False):
    """What budgets, pacing and caps ask of one line item."""

    bit: int
    id: str
    campaign_id: str
    timezone: str  # the advertiser's: daily budgets follow its days
    scopes: tuple[Scope, Scope]  # the line item's, then its campaign's
    pace: Scope | None  # the scope whose daily budget even pacing follows; None: as fast as it can
    max_cost: int  # micros one impression costs at the line item's highest price

    @property
    def budgeted(self) -> bool:
        """Whether a budget limits the line item (its own or its campaign's)."""
        return self.scopes[0].budgeted or self.scopes[1].budgeted

    @property
    def capped(self) -> bool:
        """Whether a frequency cap limits the line item (its own or its campaign's)."""
        return bool(self.scopes[0].caps or self.scopes[1].caps)


def _micros(value: Decimal | None) -> int | None:
    return None if value is None else decimal_to_micros(value)


def _scope(key: str, budget: Budget | None, caps: list[FrequencyCap]) -> Scope:
    rules = tuple(
        sorted((CapRule(cap.max, period_seconds(cap.per)) for cap in caps), key=lambda r: r.seconds)
    )
    if budget is None:
        return Scope(key, None, None, rules)
    return Scope(key, _micros(budget.total), _micros(budget.daily), rules)


def compile_rules(
    catalog: Catalog, line_items: Sequence[CompiledLineItem]
) -> tuple[LineItemRules, ...]:
    """The rules of every compiled line item, in bit order."""
    advertisers = {a.id: a for a in catalog.advertisers}
    campaigns = {c.id: c for c in catalog.campaigns}
    items = {li.id: li for li in catalog.line_items}
    rules = []
    for compiled in line_items:
        item = items[compiled.id]
        campaign = campaigns[item.campaign_id]
        own = _scope(f"l:{item.id}", item.budget, item.frequency_caps)
        parent = _scope(f"c:{campaign.id}", campaign.budget, campaign.frequency_caps)
        pace = None
        if item.pacing is Pacing.EVEN:
            pace = own if own.daily is not None else parent if parent.daily is not None else None
        rules.append(
            LineItemRules(
                bit=compiled.bit,
                id=item.id,
                campaign_id=campaign.id,
                timezone=advertisers[campaign.advertiser_id].timezone,
                scopes=(own, parent),
                pace=pace,
                max_cost=impression_cost(compiled.max_price_micros),
            )
        )
    return tuple(rules)
