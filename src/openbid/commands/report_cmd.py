"""``openbid report``: spend, bids, wins, impressions, clicks and rates from the event log.

Reads the finished event files (Parquet or gzip JSON Lines) under a local directory or an
``s3://`` prefix with DuckDB. Exit codes: 0 done (also when no event matches the filters);
1 there is nothing to read (no such directory, no event file, S3 unreachable); 2 bad options.
"""

import csv
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import msgspec
import typer
from rich.console import Console
from rich.table import Table

from openbid.events.chart import bucket_seconds, draw_chart
from openbid.events.query import (
    Dimension,
    EventQuery,
    EventQueryError,
    Filters,
    Metrics,
    Row,
)
from openbid.events.sources import EventSourceError, download_s3, local_files
from openbid.events.url import DEFAULT_EVENTS_URL

TIME_FORMATS = ["%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
CHART_SERIES = 6
PIPED_WIDTH = 140
METRIC_FIELDS = tuple(field.name for field in msgspec.structs.fields(Metrics))


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


@contextmanager
def _event_files(source: str, filters: Filters) -> Iterator[list[Path]]:
    """The finished event files of a local directory, ``file://`` URL or ``s3://`` prefix
    (downloaded to a temporary directory that is removed afterwards)."""
    parts = urlsplit(source)
    if parts.scheme == "s3":
        with tempfile.TemporaryDirectory(prefix="openbid-report-") as work:
            yield download_s3(source, Path(work), filters.start, filters.end)
        return
    if parts.scheme not in ("", "file"):
        raise EventSourceError(f"{source!r}: give a directory, a file:// URL or an s3:// URL")
    path = parts.path if parts.scheme == "file" else source.partition("?")[0]
    yield local_files(Path(path), filters.start, filters.end)


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _money(value: float | None) -> str:
    return "-" if value is None else f"{value:,.2f}"


def _flat(row: Row) -> dict[str, object]:
    metrics = msgspec.structs.asdict(row.metrics)
    return {**row.keys, **metrics}


def _print_table(rows: Sequence[Row], totals: Sequence[Row], names: list[str], title: str) -> None:
    table = Table(title=title, show_footer=len(rows) > 1, title_justify="left")
    total = totals[0].metrics if len(totals) == 1 else None
    for n, name in enumerate(names):
        table.add_column(
            name.replace("_", " "), footer="total" if n == 0 and total else "", no_wrap=True
        )
    headings = (
        ("bids", "bids"),
        ("wins", "wins"),
        ("win rate", "win_rate"),
        ("impressions", "impressions"),
        ("clicks", "clicks"),
        ("CTR", "ctr"),
        ("spend", "spend"),
        ("eCPM", "ecpm"),
    )
    for heading, field in headings:
        table.add_column(heading, justify="right", footer=_cell(total, field) if total else "")
    for row in rows:
        keys = [row.keys[name] or "-" for name in names]
        table.add_row(*keys, *(_cell(row.metrics, field) for _, field in headings))
    console = Console()
    if not console.is_terminal:
        console.width = PIPED_WIDTH  # rich's 80 columns would cut ids short in a log or a file
    console.print(table)


def _cell(metrics: Metrics, field: str) -> str:
    value = getattr(metrics, field)
    if field in ("win_rate", "ctr"):
        return _rate(value)
    if field in ("spend", "ecpm"):
        return _money(value)
    return f"{value:,}"


def _write_csv(rows: Sequence[Row], names: list[str]) -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow([*names, *METRIC_FIELDS])
    for row in rows:
        flat = _flat(row)
        writer.writerow(["" if flat[k] is None else flat[k] for k in (*names, *METRIC_FIELDS)])


def report(
    source: Annotated[
        str,
        typer.Argument(
            envvar="OPENBID_EVENTS",
            help="Where the event files are: a directory (or file:///DIR) or s3://BUCKET/PREFIX.",
        ),
    ] = DEFAULT_EVENTS_URL,
    by: Annotated[
        list[Dimension] | None,
        typer.Option("--by", help="Group rows by this; repeat to group by several."),
    ] = None,
    start: Annotated[
        datetime | None,
        typer.Option("--from", formats=TIME_FORMATS, help="First moment counted (UTC)."),
    ] = None,
    end: Annotated[
        datetime | None,
        typer.Option("--to", formats=TIME_FORMATS, help="Moment counting stops, excluded (UTC)."),
    ] = None,
    campaign: Annotated[
        list[str] | None, typer.Option("--campaign", help="Only this campaign (repeatable).")
    ] = None,
    line_item: Annotated[
        list[str] | None, typer.Option("--line-item", help="Only this line item (repeatable).")
    ] = None,
    exchange: Annotated[
        list[str] | None, typer.Option("--exchange", help="Only this exchange (repeatable).")
    ] = None,
    as_csv: Annotated[
        bool, typer.Option("--csv", help="CSV on stdout instead of a table.")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="JSON on stdout instead of a table.")
    ] = False,
    chart: Annotated[
        Path | None,
        typer.Option("--chart", help="Also draw spend and win rate over time into this PNG."),
    ] = None,
) -> None:
    """Report spend, bids, wins, impressions, clicks, win rate, CTR and eCPM from the event log.

    Spend is what billing notices charged (clearing price per impression); win rate is wins over
    bids, CTR clicks over impressions, eCPM spend per thousand impressions.
    """
    if as_csv and as_json:
        raise _fail("give --csv or --json, not both", 2)
    dimensions = list(dict.fromkeys(by or [Dimension.CAMPAIGN]))
    filters = Filters(
        _utc(start), _utc(end), tuple(campaign or ()), tuple(line_item or ()), tuple(exchange or ())
    )
    if filters.start and filters.end and filters.start >= filters.end:
        raise _fail("--from must be before --to", 2)
    try:
        with _event_files(source, filters) as files:
            if not files:
                raise _fail(f"no event files in {source} for the time asked")
            query = EventQuery(files, filters)
    except EventSourceError as error:
        raise _fail(str(error)) from None
    except EventQueryError as error:
        raise _fail(f"cannot read the event files in {source}: {error}") from None
    _output(query, dimensions, source, len(files), as_csv, as_json)
    if chart is not None:
        _chart(query, dimensions, chart)


def _output(
    query: EventQuery, by: list[Dimension], source: str, files: int, as_csv: bool, as_json: bool
) -> None:
    currencies = query.currencies()
    mixed = len(currencies) > 1
    rows = query.rows(by, mixed)
    totals = query.rows([], mixed)
    names = [d.column for d in by] + (["currency"] if mixed else [])
    currency = None if mixed else (currencies[0] if currencies else None)
    if as_json:
        document = {
            "source": source,
            "currency": currency,
            "by": names,
            "rows": [_flat(row) for row in rows],
            "totals": [_flat(row) for row in totals],
        }
        sys.stdout.write(msgspec.json.encode(document).decode() + "\n")
    elif as_csv:
        _write_csv(rows, names)
    else:
        span = query.span()
        when = f"{span[0]:%Y-%m-%d %H:%M} to {span[1]:%Y-%m-%d %H:%M} UTC" if span else "no events"
        unit = f" · money in {currency}" if currency else " · money per currency" if mixed else ""
        title = f"{source} · {files} files · {query.count():,} events, {when}{unit}"
        _print_table(rows, totals, names, title)
    if not rows:
        typer.echo("no events match the filters", err=True)


def _chart(query: EventQuery, by: list[Dimension], path: Path) -> None:
    span = query.span()
    if span is None:
        typer.echo("no chart: no events match the filters", err=True)
        return
    series = next((d for d in by if d is not Dimension.HOUR), None)
    bucket = bucket_seconds(*span)
    currencies = query.currencies()
    currency = currencies[0] if len(currencies) == 1 else "mixed currencies"
    points = query.timeline(bucket, series, CHART_SERIES)
    name = series.value.replace("-", " ") if series else None
    draw_chart(points, bucket, currency, name, path)
    typer.echo(f"chart written to {path}", err=True)
