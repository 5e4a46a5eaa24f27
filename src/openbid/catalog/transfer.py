"""A validated catalog as one JSON document per entity, to hand it between processes.

Parsing a large catalog (YAML, or rows from the store) runs long single C calls that hold the
interpreter lock for hundreds of milliseconds; a serving process must not do that. A child
process loads and validates the catalog and encodes it here, one small document per entity;
the server decodes them one at a time, so no step holds the lock for long.
"""

import hashlib
from decimal import Decimal

import msgspec

from openbid.catalog.model import (
    Advertiser,
    Campaign,
    Catalog,
    Creative,
    CurrencyCode,
    Deal,
    LineItem,
)
from openbid.catalog.source import CatalogSource


class EncodedCatalog(msgspec.Struct, frozen=True):
    """A catalog as JSON: the catalog-wide fields, then for each kind of entity one compact
    document per entity, newline-separated (a few large buffers pickle in no time)."""

    header: bytes
    advertisers: bytes
    campaigns: bytes
    creatives: bytes
    deals: bytes
    line_items: bytes
    digest: str  # of the content, the same for the same catalog wherever it was loaded


class _Header(msgspec.Struct, frozen=True):
    """The catalog-wide fields."""

    currency: CurrencyCode
    currency_rates: dict[CurrencyCode, Decimal]


_HEADER = msgspec.json.Decoder(_Header)
_ADVERTISER = msgspec.json.Decoder(Advertiser)
_CAMPAIGN = msgspec.json.Decoder(Campaign)
_CREATIVE = msgspec.json.Decoder(Creative)
_DEAL = msgspec.json.Decoder(Deal)
_LINE_ITEM = msgspec.json.Decoder(LineItem)


def encode_catalog(catalog: Catalog) -> EncodedCatalog:
    """Split a catalog into per-entity documents."""
    encode = msgspec.json.encode
    header = encode(_Header(catalog.currency, catalog.currency_rates))
    advertisers, campaigns, creatives, deals, line_items = (
        b"\n".join([encode(entity) for entity in entities])
        for entities in (
            catalog.advertisers,
            catalog.campaigns,
            catalog.creatives,
            catalog.deals,
            catalog.line_items,
        )
    )
    digest = hashlib.sha256(header)
    for part in (advertisers, campaigns, creatives, deals, line_items):
        digest.update(part)
    return EncodedCatalog(
        header, advertisers, campaigns, creatives, deals, line_items, digest.hexdigest()[:12]
    )


def load_encoded(source: CatalogSource) -> EncodedCatalog:
    """Load, validate and encode a source's catalog (run in a child process)."""
    return encode_catalog(source.load())


def _documents(part: bytes) -> list[bytes]:
    return part.split(b"\n") if part else []


def decode_catalog(encoded: EncodedCatalog) -> Catalog:
    """Rebuild the catalog one entity at a time; it was validated before it was encoded."""
    header = _HEADER.decode(encoded.header)
    return Catalog(
        currency=header.currency,
        currency_rates=header.currency_rates,
        advertisers=[_ADVERTISER.decode(d) for d in _documents(encoded.advertisers)],
        campaigns=[_CAMPAIGN.decode(d) for d in _documents(encoded.campaigns)],
        creatives=[_CREATIVE.decode(d) for d in _documents(encoded.creatives)],
        deals=[_DEAL.decode(d) for d in _documents(encoded.deals)],
        line_items=[_LINE_ITEM.decode(d) for d in _documents(encoded.line_items)],
    )
