"""One immutable, compiled catalog: what a request is bid against. Swapped whole, never edited."""

import time
from dataclasses import dataclass

from openbid.bidder.response import static_bid_fields
from openbid.catalog.model import Catalog
from openbid.catalog.transfer import encode_catalog
from openbid.pricing.currency import CurrencyTable
from openbid.targeting.index import TargetingIndex


@dataclass(frozen=True, slots=True)
class CatalogSnapshot:
    """The targeting index and currency table built from one catalog version."""

    index: TargetingIndex
    currencies: CurrencyTable
    bid_fields: dict[tuple[str, str], bytes]  # (line item, creative) -> static bid JSON
    version: str
    compiled_at: float


def compile_catalog(
    catalog: Catalog, default_seat: str, version: str | None = None
) -> CatalogSnapshot:
    """Compile a validated catalog; its version is a digest of its content, computed here
    unless the caller already has it."""
    digest = version or encode_catalog(catalog).digest
    index = TargetingIndex(catalog, default_seat)
    return CatalogSnapshot(
        index=index,
        currencies=CurrencyTable(catalog.currency, catalog.currency_rates),
        bid_fields={
            (item.id, creative.id): static_bid_fields(item, creative)
            for item in index.line_items
            for creative in item.creatives
        },
        version=digest,
        compiled_at=time.time(),
    )
