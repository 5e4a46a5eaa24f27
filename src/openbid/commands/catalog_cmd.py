"""``openbid catalog``: check catalog files, and keep the catalog in its database.

Exit codes: 0 done; 1 it could not be done (database unreachable or not initialised, a write
refused); 2 what was asked is wrong (an invalid catalog, an unknown id, a malformed URL).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from openbid.bidder.snapshot import compile_catalog
from openbid.catalog.database import DEFAULT_CATALOG_URL
from openbid.catalog.dump import CatalogFormat, dump_catalog
from openbid.catalog.errors import CatalogError
from openbid.catalog.load import load_catalog
from openbid.catalog.model import Catalog, Status
from openbid.catalog.store import CatalogStore, EntityKind
from openbid.catalog.store_errors import CatalogStoreError, CatalogUrlError, UnknownEntityError
from openbid.commands.catalog_show import line_item_detail, overview

app = typer.Typer(help="Work with catalogs: advertisers, campaigns, line items, creatives, deals.")

CatalogUrl = Annotated[
    str,
    typer.Option(
        "--catalog-url",
        envvar="OPENBID_CATALOG_URL",
        help="Catalog database: sqlite:///PATH (default: openbid-catalog.db in the current "
        "directory) or postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE.",
    ),
]
KindOption = Annotated[
    EntityKind | None,
    typer.Option("--kind", help="What the id names, when ids clash across kinds."),
]


def _fail(message: str, code: int) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


@contextmanager
def _store(url: str) -> Iterator[CatalogStore]:
    """The store at ``url``; its errors become a message and exit code, never a traceback."""
    try:
        with CatalogStore(url) as store:
            yield store
    except (CatalogUrlError, UnknownEntityError) as error:
        raise _fail(str(error), 2) from None
    except CatalogStoreError as error:
        raise _fail(str(error), 1) from None
    except CatalogError as error:
        raise _fail(str(error), 2) from None


def _summary(catalog: Catalog) -> str:
    return (
        f"{len(catalog.advertisers)} advertisers, {len(catalog.campaigns)} campaigns, "
        f"{len(catalog.creatives)} creatives, {len(catalog.deals)} deals, "
        f"{len(catalog.line_items)} line items"
    )


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


@app.command("init")
def init(catalog_url: CatalogUrl = DEFAULT_CATALOG_URL) -> None:
    """Create the catalog database's tables, or migrate them to this openbid's schema."""
    with _store(catalog_url) as store:
        migration = store.init()
        if migration.previous == migration.current:
            typer.echo(f"{store.describe()} is up to date at revision {migration.current}")
        elif migration.previous is None:
            typer.echo(f"{store.describe()} initialised at revision {migration.current}")
        else:
            typer.echo(
                f"{store.describe()} migrated from revision {migration.previous} "
                f"to {migration.current}"
            )


@app.command("load")
def load(
    path: Annotated[Path, typer.Argument(help="Catalog file (YAML or JSON).")],
    catalog_url: CatalogUrl = DEFAULT_CATALOG_URL,
) -> None:
    """Validate a catalog file and make it the stored catalog, all or nothing."""
    try:
        catalog = load_catalog(path)
    except CatalogError as error:
        raise _fail(f"{error}\nnothing was loaded", 2) from None
    with _store(catalog_url) as store:
        version = store.replace(catalog)
        typer.echo(f"loaded {path} into {store.describe()}: {_summary(catalog)}")
        typer.echo(f"catalog version {version}")


@app.command("export")
def export(
    fmt: Annotated[
        CatalogFormat | None,
        typer.Option("--format", help="yaml or json; by default from -o's suffix, else yaml."),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of to stdout.")
    ] = None,
    catalog_url: CatalogUrl = DEFAULT_CATALOG_URL,
) -> None:
    """Write the stored catalog as a file `openbid catalog load` reads back unchanged."""
    if fmt is None:
        json_suffix = output is not None and output.suffix.lower() == ".json"
        fmt = CatalogFormat.JSON if json_suffix else CatalogFormat.YAML
    with _store(catalog_url) as store:
        text = dump_catalog(store.export(), fmt)
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        output.write_text(text, "utf-8")
    except OSError as error:
        raise _fail(f"cannot write {output}: {error.strerror}", 1) from None
    typer.echo(f"exported the catalog to {output}", err=True)


@app.command("show")
def show(
    line_item: Annotated[
        str | None, typer.Option("--line-item", help="Show this line item in full.")
    ] = None,
    catalog_url: CatalogUrl = DEFAULT_CATALOG_URL,
) -> None:
    """Print what the stored catalog holds, or one line item with its targeting and creatives."""
    with _store(catalog_url) as store:
        catalog = store.export()
        version = store.version()
        title = f"catalog in {store.describe()} — version {version}"
    if line_item is None:
        Console().print(overview(catalog, title))
        return
    item = next((item for item in catalog.line_items if item.id == line_item), None)
    if item is None:
        raise _fail(f"no line item has id {line_item!r}", 2)
    Console().print(line_item_detail(item, catalog))


EntityId = Annotated[
    str, typer.Argument(metavar="ID", help="Id of a line item, campaign, advertiser or creative.")
]


def _set_status(entity_id: str, status: Status, kind: EntityKind | None, url: str) -> None:
    with _store(url) as store:
        change = store.set_status(entity_id, status, kind)
    noun = change.kind.value.replace("-", " ")
    if change.changed:
        typer.echo(f"{noun} {entity_id} is now {status}; catalog version {change.version}")
    else:
        typer.echo(f"{noun} {entity_id} was already {status}; catalog version {change.version}")


@app.command("pause")
def pause(
    entity_id: EntityId,
    kind: KindOption = None,
    catalog_url: CatalogUrl = DEFAULT_CATALOG_URL,
) -> None:
    """Stop a line item, campaign, advertiser or creative from bidding."""
    _set_status(entity_id, Status.PAUSED, kind, catalog_url)


@app.command("resume")
def resume(
    entity_id: EntityId,
    kind: KindOption = None,
    catalog_url: CatalogUrl = DEFAULT_CATALOG_URL,
) -> None:
    """Let a paused line item, campaign, advertiser or creative bid again."""
    _set_status(entity_id, Status.ACTIVE, kind, catalog_url)
