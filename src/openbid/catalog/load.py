"""Reads a catalog from YAML or JSON, turning every mistake into a CatalogError naming its path."""

import re
from importlib import resources
from pathlib import Path

import msgspec
import yaml

from openbid.catalog.errors import CatalogError
from openbid.catalog.model import Catalog
from openbid.catalog.validate import validate

DEMO_CATALOG = "demo-catalog.yaml"
# libyaml's safe loader when PyYAML was built with it: three times faster on large catalogs.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_AT_PATH = re.compile(r"^(?P<message>.*?) - at `\$\.?(?P<path>[^`]*)`$")


def _describe(error: msgspec.ValidationError) -> str:
    """msgspec says "Expected `int`, got `str` - at `$.a[0].b`"; we say "a[0].b: expected ..."."""
    text = str(error)
    match = _AT_PATH.match(text)
    if match is None:
        return f"(top level): {text[:1].lower()}{text[1:]}"
    message = match["message"]
    return f"{match['path'] or '(top level)'}: {message[:1].lower()}{message[1:]}"


def parse_catalog(data: object, source: str = "<catalog>") -> Catalog:
    """Turn already-parsed YAML/JSON data into a validated Catalog, or raise CatalogError."""
    try:
        catalog = msgspec.convert(data, Catalog)
    except msgspec.ValidationError as error:
        raise CatalogError(source, [_describe(error)]) from None
    problems = validate(catalog)
    if problems:
        raise CatalogError(source, problems)
    return catalog


def parse_catalog_text(text: str, source: str = "<catalog>") -> Catalog:
    """Parse YAML (or JSON, which is YAML) catalog text."""
    try:
        data = yaml.load(text, Loader=_SAFE_LOADER)
    except yaml.YAMLError as error:
        raise CatalogError(source, [f"(file): not valid YAML or JSON: {error}"]) from None
    return parse_catalog(data, source)


def load_catalog(path: Path | str | None = None) -> Catalog:
    """Load the catalog file at ``path``; the demo catalog shipped with openbid when None."""
    if path is None:
        text = resources.files("openbid.catalog").joinpath(DEMO_CATALOG).read_text("utf-8")
        return parse_catalog_text(text, f"(built-in {DEMO_CATALOG})")
    try:
        text = Path(path).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CatalogError(str(path), [f"(file): cannot read: {error}"]) from None
    return parse_catalog_text(text, str(path))
