"""One immutable, compiled catalog: what a request is bid against. Swapped whole, never edited."""

import time
from dataclasses import dataclass

from openbid.bidder.response import static_bid_fields, win_markup
from openbid.catalog.model import Catalog
from openbid.catalog.transfer import encode_catalog
from openbid.notices.markup import SlotTemplate
from openbid.pacing.rules import LineItemRules, compile_rules
from openbid.pricing.currency import CurrencyTable
from openbid.targeting.index import TargetingIndex


@dataclass(frozen=True, slots=True)
class CatalogSnapshot:
    """The targeting index, currency table, response fragments and pacing rules of one catalog
    version."""

    index: TargetingIndex
    currencies: CurrencyTable
    bid_fields: dict[tuple[str, str], SlotTemplate]  # (line item, creative) -> static bid JSON
    win_markup: dict[str, SlotTemplate]  # serve-on-win creative -> the markup its win returns
    landing_urls: dict[str, str]  # creative -> where its click redirect goes
    pacing: tuple[LineItemRules, ...]  # budgets, pacing and caps, by bit
    version: str
    compiled_at: float


def compile_catalog(
    catalog: Catalog, default_seat: str, version: str | None = None
) -> CatalogSnapshot:
    """Compile a validated catalog; its version is a digest of its content, computed here
    unless the caller already has it."""
    digest = version or encode_catalog(catalog).digest
    index = TargetingIndex(catalog, default_seat)
    landing = {c.id: c.landing_url for c in catalog.creatives if c.landing_url}
    used = {creative.id: creative for item in index.line_items for creative in item.creatives}
    return CatalogSnapshot(
        index=index,
        currencies=CurrencyTable(catalog.currency, catalog.currency_rates),
        bid_fields={
            (item.id, creative.id): static_bid_fields(item, creative, landing.get(creative.id))
            for item in index.line_items
            for creative in item.creatives
        },
        win_markup={
            creative.id: win_markup(creative, landing.get(creative.id))
            for creative in used.values()
            if creative.serve_on_win
        },
        landing_urls=landing,
        pacing=compile_rules(catalog, index.line_items),
        version=digest,
        compiled_at=time.time(),
    )
