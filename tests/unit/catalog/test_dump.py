"""Exported catalogs: YAML and JSON that read back to an equal catalog, amounts as numbers."""

from datetime import UTC, datetime
from decimal import Decimal

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from openbid.catalog.dump import CatalogFormat, dump_catalog
from openbid.catalog.load import load_catalog, parse_catalog_text
from openbid.catalog.model import Budget, Catalog

DEMO = load_catalog()
# Budgets up to a billion with micros: 15 significant digits, what a YAML/JSON number keeps.
AMOUNTS = st.decimals(min_value=0, max_value=10**9, places=6, allow_nan=False)


@pytest.mark.parametrize("fmt", list(CatalogFormat))
def test_the_demo_catalog_round_trips(fmt: CatalogFormat) -> None:
    assert parse_catalog_text(dump_catalog(DEMO, fmt)) == DEMO


def test_yaml_writes_amounts_as_plain_numbers() -> None:
    catalog = Catalog(currency_rates={"USD": Decimal(1), "EUR": Decimal("0.92")})
    text = dump_catalog(catalog, CatalogFormat.YAML)
    assert "USD: 1\n" in text
    assert "EUR: 0.92\n" in text


def test_json_writes_amounts_as_numbers() -> None:
    catalog = Catalog(currency_rates={"USD": Decimal(1), "JPY": Decimal("163.25")})
    assert '"JPY": 163.25' in dump_catalog(catalog, CatalogFormat.JSON)


@pytest.mark.parametrize("fmt", list(CatalogFormat))
@given(total=AMOUNTS, daily=AMOUNTS)
def test_amounts_and_instants_round_trip(
    fmt: CatalogFormat, total: Decimal, daily: Decimal
) -> None:
    campaign = msgspec.structs.replace(
        DEMO.campaigns[0],
        budget=Budget(total=total, daily=daily),
        start=datetime(2026, 3, 29, 1, 30, tzinfo=UTC),
    )
    catalog = Catalog(advertisers=[DEMO.advertisers[0]], campaigns=[campaign])
    assert parse_catalog_text(dump_catalog(catalog, fmt)) == catalog
