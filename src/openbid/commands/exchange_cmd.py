"""``openbid exchange``: play the exchange's part against any OpenRTB bidder, over HTTP only."""

import json
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from openbid.exchange.replay import is_failure, read_requests, replay

app = typer.Typer(help="Send bid requests to a bidder as an exchange would, and judge the answers.")


@app.command("replay")
def replay_cmd(
    files: Annotated[
        list[Path],
        typer.Argument(help="Bid requests: .json files, or .jsonl with a `request` per line."),
    ],
    bidder: Annotated[
        str, typer.Option(help="The bidder's bid URL.")
    ] = "http://127.0.0.1:8080/openrtb2/bid",
    timeout: Annotated[float, typer.Option(help="Seconds to wait for each answer.")] = 2.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary.")] = False,
) -> None:
    """Replay recorded requests; exit 1 if any answer was a 5xx, missing, or an invalid bid."""
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise typer.BadParameter(f"no such file: {', '.join(missing)}", param_hint="FILES")
    outcomes = replay(bidder, read_requests(files), timeout)
    statuses = Counter("none" if o.status is None else str(o.status) for o in outcomes)
    failures = [o for o in outcomes if is_failure(o)]
    bids = sum(len(o.bids) for o in outcomes)
    if as_json:
        summary = {
            "requests": len(outcomes),
            "statuses": dict(statuses),
            "bids": bids,
            "failures": [
                {"label": o.label, "status": o.status, "problems": o.problems, "detail": o.detail}
                for o in failures
            ],
        }
        typer.echo(json.dumps(summary, indent=2))
    else:
        table = Table(title=f"{len(outcomes)} requests to {bidder}")
        table.add_column("status")
        table.add_column("count", justify="right")
        for status, count in sorted(statuses.items()):
            table.add_row(status, str(count))
        table.add_row("bids", str(bids))
        console = Console()
        console.print(table)
        for outcome in failures[:20]:
            console.print(
                f"[red]FAIL[/red] {outcome.label}: {outcome.status} "
                f"{outcome.detail} {'; '.join(outcome.problems)}"
            )
    if failures:
        raise typer.Exit(1)
