"""Writes a catalog as YAML or JSON text that ``load_catalog`` reads back to an equal catalog."""

from decimal import Decimal
from enum import StrEnum

import msgspec
import yaml

from openbid.catalog.model import Catalog


class CatalogFormat(StrEnum):
    """The file formats a catalog is written in."""

    YAML = "yaml"
    JSON = "json"


class _Dumper(yaml.SafeDumper):
    """Safe YAML that writes decimal amounts as plain numbers (``cpm: 2.50``), as people do."""


def _represent_decimal(dumper: yaml.SafeDumper, value: Decimal) -> yaml.ScalarNode:
    text = format(value, "f")
    kind = "float" if "." in text else "int"
    return dumper.represent_scalar(f"tag:yaml.org,2002:{kind}", text)


_Dumper.add_representer(Decimal, _represent_decimal)
_JSON = msgspec.json.Encoder(decimal_format="number")


def dump_catalog(catalog: Catalog, fmt: CatalogFormat) -> str:
    """The catalog as text in ``fmt``, fields in model order, defaults left out."""
    if fmt is CatalogFormat.JSON:
        return msgspec.json.format(_JSON.encode(catalog), indent=2).decode() + "\n"
    data = msgspec.to_builtins(catalog, builtin_types=(Decimal,))
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
