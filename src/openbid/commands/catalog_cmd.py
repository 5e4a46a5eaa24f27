"""``openbid catalog``: check catalog files before they reach a bidder."""

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from openbid.bidder.snapshot import compile_catalog
from openbid.catalog.errors import CatalogError
from openbid.catalog.load import load_catalog

app = typer.Typer(help="Work with catalogs: advertisers, campaigns, line items, creatives, deals.")


@app.command("validate")
def validate(
    path: Annotated[
        Path | None,
        typer.Argument(help="Catalog file (YAML or JSON); the built-in demo catalog when omitted."),
    ] = None,
) -> None:
    """Parse, validate and compile a catalog; print what it holds or every problem found."""
    try:
        catalog = load_catalog(path)
    except CatalogError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None
    snapshot = compile_catalog(catalog, "openbid")
    table = Table(title=f"catalog {path or '(built-in demo)'} — version {snapshot.version}")
    table.add_column("entity")
    table.add_column("count", justify="right")
    table.add_row("advertisers", str(len(catalog.advertisers)))
    table.add_row("campaigns", str(len(catalog.campaigns)))
    table.add_row("creatives", str(len(catalog.creatives)))
    table.add_row("deals", str(len(catalog.deals)))
    table.add_row("line items", str(len(catalog.line_items)))
    table.add_row("line items able to bid", str(len(snapshot.index.line_items)))
    Console().print(table)
