"""``openbid demo``: start a bidder on the demo catalog, play sample exchange traffic, show it."""

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from openbid.exchange.bidder_process import BidderProcess
from openbid.exchange.replay import Outcome, is_failure, read_requests, replay
from openbid.exchange.samples import sample_paths


def _describe(outcome: Outcome) -> str:
    if outcome.status == 200:
        return "\n".join(
            f"{bid.crid} @ {bid.price:.2f} {outcome.currency} CPM"
            + (f" in deal {bid.dealid}" if bid.dealid else "")
            for bid in outcome.bids
        )
    if outcome.status == 204:
        return "no bid"
    if outcome.status == 400:
        return f"rejected: {outcome.detail}"
    return outcome.detail


def demo(
    catalog: Annotated[
        Path | None, typer.Option(help="Catalog to serve; the built-in demo catalog when omitted.")
    ] = None,
) -> None:
    """Run `openbid serve` on loopback, send it the sample requests and print its answers."""
    console = Console()
    args = ["--catalog", str(catalog)] if catalog else []
    with console.status("starting openbid serve on loopback..."), BidderProcess(args) as bidder:
        console.print(f"openbid serve is answering on {bidder.bid_url}")
        outcomes = replay(bidder.bid_url, read_requests(sample_paths()))
    table = Table(title="openbid demo: sample exchange traffic against the demo catalog")
    table.add_column("request")
    table.add_column("status", justify="right")
    table.add_column("answer")
    table.add_column("ms", justify="right")
    for outcome in outcomes:
        status = "-" if outcome.status is None else str(outcome.status)
        answer = _describe(outcome)
        if outcome.problems:
            answer += f"\n[red]{'; '.join(outcome.problems)}[/red]"
        table.add_row(
            outcome.label.removesuffix(".json"), status, answer, f"{outcome.elapsed_ms:.1f}"
        )
    console.print(table)
    failures = [o for o in outcomes if is_failure(o)]
    if failures:
        console.print(f"[red]{len(failures)} answers were not valid[/red]")
        raise typer.Exit(1)
    console.print("Every answer was a valid bid response, a no-bid (204) or a clear 400.")
