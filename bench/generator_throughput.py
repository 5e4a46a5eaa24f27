"""Generator throughput: how many requests per second ``openbid exchange`` sustains on one core.

The simulator runs in this process, pinned to CPU 0; the stub bidder
(``openbid.exchange.stub_bidder``, which bids at once on every impression) runs pinned to CPU 1.
For each mode (``full``: auctions and win/billing/loss notices; ``bids-only``: ``--no-notices``)
the target rate climbs a ladder, one short run per step, until a step is not sustained. A step
is sustained when the achieved rate is within 1% of the target, the send lag p99 is under 5 ms
(requests leave when due) and nothing times out. The highest sustained step is the generator's
capacity: a bidder benchmark whose rate approaches it measured the generator, not the bidder.
"""

import argparse
import json
import os
import sys
import time
from typing import Any

import msgspec
from rich.console import Console
from rich.table import Table

from bid_throughput import busy_cpu_share, cpu_seconds
from openbid.exchange.loadgen import RunConfig
from openbid.exchange.profile import load_profile
from openbid.exchange.report import Summary, summarize
from openbid.exchange.simulation import simulate
from openbid.exchange.stub_bidder import running_stub

GENERATOR_CPU = 0
STUB_CPU = 1
LADDER = (1000, 2000, 3000, 4000, 5000, 6000, 8000, 10000, 12000, 15000, 20000)
RATE_TOLERANCE = 0.01
LAG_LIMIT_MS = 5.0
TMAX_MS = 1000  # generous: a step fails on the generator's lateness, not on tmax
MODES = {"full": True, "bids-only": False}


class Step(msgspec.Struct):
    """One run of the ladder."""

    target: int
    requests: int
    achieved: float
    generator_cpu: float
    stub_cpu: float
    lag_p50_ms: float
    lag_p99_ms: float
    latency_p50_ms: float
    latency_p99_ms: float
    timeouts: int
    errors: int
    notices: int
    sustained: bool


def run_step(url: str, stub_pid: int, target: int, duration: float, notices: bool) -> Step:
    """One simulation at ``target`` requests/s against the stub."""
    profile = msgspec.structs.replace(load_profile(), tmax_ms={TMAX_MS: 1.0})
    config = RunConfig(bidder=url, rate=target, duration=duration, connections=64, notices=notices)
    stub_before = cpu_seconds(stub_pid)
    started = time.monotonic()
    summary: Summary = summarize(simulate(config, profile, []), config)
    elapsed = time.monotonic() - started
    stub_cpu = (cpu_seconds(stub_pid) - stub_before) / elapsed
    sustained = (
        summary.achieved_rate >= (1 - RATE_TOLERANCE) * target
        and summary.send_lag_ms.p99 <= LAG_LIMIT_MS
        and summary.timeouts == 0
        and summary.errors == 0
    )
    return Step(
        target=target,
        requests=summary.requests,
        achieved=summary.achieved_rate,
        generator_cpu=summary.generator_cpu,
        stub_cpu=round(stub_cpu, 3),
        lag_p50_ms=summary.send_lag_ms.p50,
        lag_p99_ms=summary.send_lag_ms.p99,
        latency_p50_ms=summary.latency_ms.p50,
        latency_p99_ms=summary.latency_ms.p99,
        timeouts=summary.timeouts,
        errors=summary.errors,
        notices=sum(sum(outcomes.values()) for outcomes in summary.notices.values()),
        sustained=sustained,
    )


def climb(url: str, stub_pid: int, duration: float, notices: bool, console: Console) -> list[Step]:
    """Run the ladder until a step is not sustained."""
    steps = []
    for target in LADDER:
        step = run_step(url, stub_pid, target, duration, notices)
        console.log(
            f"{target:>6}/s: achieved {step.achieved:,.0f}/s, generator CPU "
            f"{100 * step.generator_cpu:.0f}%, stub CPU {100 * step.stub_cpu:.0f}%, lag p99 "
            f"{step.lag_p99_ms:.2f} ms -> {'sustained' if step.sustained else 'NOT sustained'}"
        )
        steps.append(step)
        if not step.sustained:
            break
    return steps


def table(mode: str, steps: list[Step]) -> Table:
    """The ladder of one mode as a table."""
    result = Table(title=f"mode: {mode}", title_justify="left")
    columns = (
        "target/s", "achieved/s", "generator CPU", "stub CPU", "lag p50", "lag p99",
        "latency p50", "latency p99", "notices/request", "sustained",
    )  # fmt: skip
    for column in columns:
        result.add_column(column, justify="right")
    for s in steps:
        result.add_row(
            f"{s.target:,}",
            f"{s.achieved:,.0f}",
            f"{100 * s.generator_cpu:.0f}%",
            f"{100 * s.stub_cpu:.0f}%",
            f"{s.lag_p50_ms:.2f} ms",
            f"{s.lag_p99_ms:.2f} ms",
            f"{s.latency_p50_ms:.2f} ms",
            f"{s.latency_p99_ms:.2f} ms",
            f"{s.notices / max(1, s.requests):.2f}",
            "yes" if s.sustained else "[red]no[/red]",
        )
    return result


def capacity(steps: list[Step]) -> int:
    """The highest sustained target (0 when none was)."""
    return max((s.target for s in steps if s.sustained), default=0)


def main(argv: list[str] | None = None) -> int:
    """Run the ladders and print (or emit as JSON) the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--duration", type=float, default=4.0, help="seconds per step")
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 s steps, bids-only")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    console = Console(stderr=args.json)
    busy = busy_cpu_share()
    if busy > 0.15:
        console.log(f"[yellow]warning: the CPUs were {100 * busy:.0f}% busy before the run[/]")
    os.sched_setaffinity(0, {GENERATOR_CPU})
    modes = {"bids-only": False} if args.quick else MODES
    duration = 1.0 if args.quick else args.duration
    results: dict[str, Any] = {"busy_before": round(busy, 3), "step_seconds": duration}
    with running_stub(cpu=STUB_CPU) as stub:
        for mode, notices in modes.items():
            console.rule(f"mode: {mode}")
            steps = climb(stub.url, stub.pid, duration, notices, console)
            results[mode] = {"capacity": capacity(steps), "steps": msgspec.to_builtins(steps)}
            if not args.json:
                console.print(table(mode, steps))
                console.print(f"[bold]{mode}: sustains {capacity(steps):,} requests/s[/bold]")
    if args.json:
        print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
