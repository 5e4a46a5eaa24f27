"""``openbid exchange``: play the exchange's part against any OpenRTB bidder, over HTTP only."""

import json
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from openbid.exchange.connection import Origin
from openbid.exchange.loadgen import BidderUnreachable, RunConfig
from openbid.exchange.profile import Profile, ProfileError, load_profile
from openbid.exchange.replay import is_failure, read_requests, replay
from openbid.exchange.report import print_report, summarize, to_json
from openbid.exchange.schedule import Arrivals, Shape
from openbid.exchange.simulation import simulate
from openbid.exchange.traffic import load_corpus

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


def _profile_and_corpus(profile: Path | None, corpus: list[Path]) -> tuple[Profile, list[bytes]]:
    """The profile, and the recorded requests its ``corpus`` and ``--corpus`` name."""
    try:
        loaded = load_profile(profile)
    except ProfileError as error:
        raise typer.BadParameter(str(error), param_hint="--profile") from None
    files = [Path(f) for f in loaded.corpus.files] + corpus
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise typer.BadParameter(f"no such file: {', '.join(missing)}", param_hint="--corpus")
    return loaded, load_corpus(files).bodies


@app.command("run")
def run_cmd(
    bidder: Annotated[
        str, typer.Option(help="The bidder's bid URL.")
    ] = "http://127.0.0.1:8080/openrtb2/bid",
    rate: Annotated[
        float, typer.Option(min=0.001, help="Target requests per second (the peak for diurnal).")
    ] = 100.0,
    duration: Annotated[float, typer.Option(min=0.001, help="Seconds of sending.")] = 10.0,
    shape: Annotated[
        Shape,
        typer.Option(help="constant; ramp from 0 up to --rate; diurnal: a day in --duration."),
    ] = "constant",
    arrivals: Annotated[
        Arrivals, typer.Option(help="uniform spacing, or poisson (random, as real users).")
    ] = "uniform",
    profile: Annotated[
        Path | None,
        typer.Option(
            exists=True, dir_okay=False, help="Traffic profile (YAML/JSON) over the built-in one."
        ),
    ] = None,
    corpus: Annotated[
        list[Path] | None,
        typer.Option(help="Recorded requests to mix in (.json, .jsonl); repeatable."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the traffic: same seed, same requests.")] = 1,
    connections: Annotated[
        int, typer.Option(min=1, max=4096, help="Keep-alive connections to the bidder.")
    ] = 32,
    notices: Annotated[
        bool, typer.Option(help="Call nurl/burl/lurl and the markup's trackers.")
    ] = True,
    grace: Annotated[
        float,
        typer.Option(min=0.0, help="Seconds past tmax to wait for a late answer before giving up."),
    ] = 1.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Drive a bidder with simulated exchange traffic, open loop, and report what happened.

    Exits 1 if any answer was an error or a bid the exchange had to refuse.
    """
    try:
        Origin.of(bidder)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--bidder") from None
    loaded, bodies = _profile_and_corpus(profile, corpus or [])
    config = RunConfig(
        bidder=bidder,
        rate=rate,
        duration=duration,
        shape=shape,
        arrivals=arrivals,
        connections=connections,
        seed=seed,
        notices=notices,
        grace=grace,
    )
    console = Console()
    progress = None if as_json else Console(stderr=True)
    try:
        stats = simulate(config, loaded, bodies, progress)
    except BidderUnreachable as error:
        Console(stderr=True).print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from None
    summary = summarize(stats, config)
    if as_json:
        typer.echo(to_json(summary))
    else:
        print_report(summary, console)
    if summary.errors or summary.invalid_bids:
        raise typer.Exit(1)
