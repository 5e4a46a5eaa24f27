"""``openbid demo``: a DSP at work. Start a bidder on the demo catalog, show its answers to the
sample requests, drive it with simulated exchange traffic and show what happened, then stop it
and report from the event log it wrote."""

import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from openbid.commands.report_cmd import report
from openbid.exchange.bidder_process import BidderProcess
from openbid.exchange.loadgen import RunConfig
from openbid.exchange.profile import load_profile
from openbid.exchange.replay import Outcome, is_failure, read_requests, replay
from openbid.exchange.report import print_report, summarize
from openbid.exchange.samples import sample_paths
from openbid.exchange.simulation import simulate


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


def _samples(bidder: BidderProcess, console: Console) -> bool:
    """Step 1: the sample requests one by one; True when every answer was acceptable."""
    outcomes = replay(bidder.bid_url, read_requests(sample_paths()))
    table = Table(title="1. Sample exchange requests against the demo catalog")
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
        return False
    console.print("Every answer was a valid bid response, a no-bid (204) or a clear 400.\n")
    return True


def _traffic(
    bidder: BidderProcess, console: Console, rate: float, duration: float, seed: int
) -> bool:
    """Step 2: simulated exchange traffic; True when no answer was an error or refused."""
    console.rule(f"2. Simulated exchange traffic: {rate:g} requests/s for {duration:g} s")
    console.print(
        "Synthetic requests (banner, native, video, audio; site and app; 14 countries; floors in "
        "5 currencies; deals), sent open loop. Each bid competes in a first- or second-price "
        "auction with synthetic rivals; wins get their win notice, most render (billing notice), "
        "a few are clicked; losses get their loss notice.\n"
    )
    config = RunConfig(bidder=bidder.bid_url, rate=rate, duration=duration, seed=seed)
    stats = simulate(config, load_profile(), [], console)
    summary = summarize(stats, config)
    print_report(summary, console, brief=True)
    return not (summary.errors or summary.invalid_bids)


def demo(
    catalog: Annotated[
        Path | None, typer.Option(help="Catalog to serve; the built-in demo catalog when omitted.")
    ] = None,
    rate: Annotated[float, typer.Option(min=1, help="Simulated requests per second.")] = 200.0,
    duration: Annotated[float, typer.Option(min=1, help="Seconds of simulated traffic.")] = 20.0,
    seed: Annotated[int, typer.Option(help="Seed of the simulated traffic.")] = 1,
    events: Annotated[
        Path | None,
        typer.Option(
            file_okay=False,
            help="Directory for the bidder's event log; a new temporary one when omitted.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Run `openbid serve` on loopback, show its answers to sample requests, drive it with
    simulated exchange traffic and report bids, wins, spend, latency and notices, then report
    from the event log the bidder wrote (`openbid report`)."""
    console = Console()
    directory = events or Path(tempfile.mkdtemp(prefix="openbid-demo-events-"))
    args = ["--events", str(directory)] + (["--catalog", str(catalog)] if catalog else [])
    with console.status("starting openbid serve on loopback..."):
        bidder = BidderProcess(args).start()
    try:
        console.print(f"openbid serve is answering on {bidder.bid_url}\n")
        samples_ok = _samples(bidder, console)
        traffic_ok = _traffic(bidder, console, rate, duration, seed)
    finally:
        code = bidder.stop()
    console.print("openbid serve stopped.")
    if code != 0:
        console.print(f"[red]openbid serve exited with {code}[/red]")
    console.rule(f"3. The event log: openbid report {directory}")
    chart = directory / "report.png"
    report(str(directory), chart=chart)
    console.print(f"Spend and win rate over time: {chart}")
    if not (samples_ok and traffic_ok and code == 0):
        raise typer.Exit(1)
