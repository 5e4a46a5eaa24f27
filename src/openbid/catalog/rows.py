"""Turns a Catalog into table rows and rows back into catalog data, through the msgspec model.

Columns hold what the database must know (identity, references, status, names, flight dates);
the rest of an entity goes to its ``spec`` JSON as ``msgspec.to_builtins`` writes it and comes
back through ``msgspec.convert``, so a new model field travels through the store unmigrated.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec
import sqlalchemy as sa

from openbid.catalog import schema
from openbid.catalog.model import Catalog

Row = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Link:
    """A list of ids on a line item, kept as ordered rows of a link table."""

    field: str
    table: sa.Table
    column: str


@dataclass(frozen=True, slots=True)
class Entity:
    """One kind of catalog entity: its list in the Catalog, its table and its real columns."""

    field: str
    noun: str
    table: sa.Table
    columns: tuple[tuple[str, str], ...]  # (model field, column)
    links: tuple[Link, ...] = ()

    @property
    def content_columns(self) -> list[str]:
        """The columns that carry the entity itself (not its order or timestamps)."""
        return [column for _, column in self.columns] + ["spec"]


@dataclass(frozen=True, slots=True)
class Record:
    """One entity as stored: its content columns and its linked id lists."""

    row: Row
    links: dict[str, list[str]]


_NAMED = (("id", "id"), ("name", "name"), ("status", "status"))
_FLIGHT = (("start", "start_at"), ("end", "end_at"))
# Parents before children: the order rows are inserted in (and deleted in reverse).
ENTITIES = (
    Entity("advertisers", "advertiser", schema.advertisers, _NAMED),
    Entity(
        "campaigns",
        "campaign",
        schema.campaigns,
        (*_NAMED, ("advertiser_id", "advertiser_id"), *_FLIGHT),
    ),
    Entity(
        "creatives",
        "creative",
        schema.creatives,
        (("id", "id"), ("advertiser_id", "advertiser_id"), ("status", "status")),
    ),
    Entity("deals", "deal", schema.deals, (("id", "id"), ("name", "name"))),
    Entity(
        "line_items",
        "line item",
        schema.line_items,
        (*_NAMED, ("campaign_id", "campaign_id"), *_FLIGHT),
        (
            Link("creative_ids", schema.line_item_creatives, "creative_id"),
            Link("deal_ids", schema.line_item_deals, "deal_id"),
        ),
    ),
)
_CATALOG_COLUMNS = ("currency",)
_APART = {"currency_rates", *_CATALOG_COLUMNS, *(entity.field for entity in ENTITIES)}


def catalog_row(catalog: Catalog) -> Row:
    """The one ``catalog`` row: currency, and any catalog-wide setting in ``spec``."""
    spec = msgspec.to_builtins(catalog)
    return {
        **{column: getattr(catalog, column) for column in _CATALOG_COLUMNS},
        "spec": {key: value for key, value in spec.items() if key not in _APART},
    }


def rate_rows(catalog: Catalog) -> list[Row]:
    """Currency rates as exact decimal text."""
    return [{"currency": code, "rate": str(rate)} for code, rate in catalog.currency_rates.items()]


def records(entity: Entity, catalog: Catalog) -> list[Record]:
    """The catalog's entities of one kind as rows, in catalog order."""
    result = []
    for item in getattr(catalog, entity.field):
        spec = msgspec.to_builtins(item)
        row = {
            column: msgspec.to_builtins(getattr(item, field), builtin_types=(datetime,))
            for field, column in entity.columns
        }
        links = {link.field: list(getattr(item, link.field)) for link in entity.links}
        for field in (*(field for field, _ in entity.columns), *links):
            spec.pop(field, None)
        result.append(Record({**row, "spec": spec}, links))
    return result


def entity_data(entity: Entity, record: Record) -> dict[str, Any]:
    """A stored entity as data ``msgspec.convert`` turns back into its model struct."""
    data = dict(record.row["spec"])
    for field, column in entity.columns:
        if record.row[column] is not None:
            data[field] = record.row[column]
    return data | record.links


def catalog_data(row: Row, rates: list[Row], entities: dict[str, list[Any]]) -> dict[str, Any]:
    """The whole stored catalog as data for ``parse_catalog`` or ``msgspec.convert``."""
    return {
        **row["spec"],
        **{column: row[column] for column in _CATALOG_COLUMNS},
        "currency_rates": {rate["currency"]: rate["rate"] for rate in rates},
        **entities,
    }
