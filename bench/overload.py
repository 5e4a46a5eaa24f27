"""Overload: a bidder offered twice what it can answer sheds the excess instead of queueing.

``python bench/overload.py`` (root, or a writable cgroup hierarchy) starts one `openbid serve`,
caps it at ``--cpu-quota`` of a CPU with a cgroup — so that the exchange simulator on the same
small machine can offer it twice its maximum — and then:

1. finds its maximum without load shedding (``--no-load-shedding``): the highest rate it
   answers with under 0.1% timeouts (answers later than the request's tmax, or none), by a
   ramp (steps of x1.2, ``--step-seconds`` each) to the first rate that fails, then
   ``--bisect`` halvings of the gap below it (within 2.5% with the default 3);
2. offers 2x that for ``--seconds`` with shedding off, then to a fresh bidder with it on, and
   prints for each: answers within tmax that were not shed ("useful"), shed no-bids (from the
   bidder's /metrics), timeouts (late or unanswered) and p99.

The goal: with shedding, useful answers per second >= 90% of the maximum.

It also prints what that goal asks of the bidder. A shed request is still read, parsed and
answered; if a bid costs ``b`` of CPU and a shed request ``s`` (both read from the bidder's CPU
time: ``b`` at the maximum, ``s`` from what the shedding run used beyond its bids), then at
twice the maximum no shedder can keep more than ``(b - 2s) / (b - s)`` of it: 90% needs
``s <= b / 11``.
"""

import argparse
import math
import os
import re
import sys
import tempfile
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bid_throughput import cpu_seconds
from openbid.exchange.bidder_process import BidderProcess, free_port
from simulator_run import run_exchange

CGROUP = Path("/sys/fs/cgroup")
TOKEN = "overload-bench-token"
MAX_TIMEOUTS = 0.001  # a rate is answered when fewer of its requests than this time out
SHED_SERIES = re.compile(r'^openbid_no_bids_total\{[^}]*reason="overloaded"[^}]*\} (\S+)$', re.M)


@dataclass(frozen=True, slots=True)
class Run:
    """One simulator run's figures."""

    rate: float
    seconds: float
    requests: int
    answered: int
    timeouts: int
    shed: int
    p99_ms: float
    cpu_seconds: float  # the bidder's CPU time (user and system, every thread) during the run

    @property
    def useful_per_second(self) -> float:
        """Answers within tmax that were not shed, per second."""
        return (self.answered - self.shed) / self.seconds

    @property
    def answered_well(self) -> bool:
        """Whether fewer than MAX_TIMEOUTS of the requests timed out."""
        return self.timeouts <= MAX_TIMEOUTS * self.requests


@contextmanager
def cpu_quota(pid: int, share: float) -> Iterator[None]:
    """Cap process ``pid`` (all its threads) at ``share`` of one CPU while inside."""
    # The shortest period whose quota is still the 1 ms cgroups allow at least: a throttled
    # bidder then stalls for at most a few milliseconds, as a slower CPU would, not for ~10.
    period = max(1_000, math.ceil(1_000 / share))
    v1 = CGROUP / "cpu"
    folder = (v1 if v1.is_dir() else CGROUP) / f"openbid-overload-{os.getpid()}"
    folder.mkdir()
    try:
        if v1.is_dir():
            (folder / "cpu.cfs_period_us").write_text(str(period))
            (folder / "cpu.cfs_quota_us").write_text(str(int(period * share)))
        else:
            (folder / "cpu.max").write_text(f"{int(period * share)} {period}")
        (folder / "cgroup.procs").write_text(str(pid))
        yield
    finally:
        root = folder.parent
        for line in (folder / "cgroup.procs").read_text().split():
            (root / "cgroup.procs").write_text(line)
        folder.rmdir()


def shed_total(admin_port: int) -> int:
    """The bidder's count of shed requests, from its Prometheus metrics."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{admin_port}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    with urllib.request.urlopen(request, timeout=5) as answer:
        text = answer.read().decode()
    return sum(int(float(value)) for value in SHED_SERIES.findall(text))


def drive(bidder: BidderProcess, admin_port: int, rate: float, seconds: float) -> Run:
    """Offer ``rate`` for ``seconds``; the run's figures."""
    before, cpu_before = shed_total(admin_port), cpu_seconds(bidder.pid)
    report = run_exchange(bidder.bid_url, rate, seconds, "--connections", "256", "--no-notices")
    return Run(
        rate=rate,
        seconds=seconds,
        requests=report["requests"],
        answered=report["bids"] + report["no_bids"],
        timeouts=report["timeouts"],
        shed=shed_total(admin_port) - before,
        p99_ms=report["latency_ms"]["p99"],
        cpu_seconds=cpu_seconds(bidder.pid) - cpu_before,
    )


@contextmanager
def capped_bidder(
    args: argparse.Namespace, shedding: bool, scratch: Path
) -> Iterator[tuple[BidderProcess, int]]:
    """A bidder under the CPU cap, with its admin port (for /metrics)."""
    admin_port = free_port()
    serve_args = [
        "--events", "none", "--admin-port", str(admin_port), "--admin-token", TOKEN,
        "--metrics-interval", "0.5", *([] if shedding else ["--no-load-shedding"]),
    ]  # fmt: skip
    log = scratch / f"serve-{'shed' if shedding else 'noshed'}.log"
    with BidderProcess(serve_args, log_path=log) as bidder, cpu_quota(bidder.pid, args.cpu_quota):
        yield bidder, admin_port


def _step(
    bidder: BidderProcess,
    admin_port: int,
    rate: float,
    args: argparse.Namespace,
    label: str,
    console: Console,
) -> Run:
    """Offer ``rate`` for a step of ``--step-seconds``; its figures, printed."""
    run = drive(bidder, admin_port, rate, args.step_seconds)
    console.print(
        f"{label} {rate:,.0f} req/s: {run.timeouts} timeouts of {run.requests}, "
        f"p99 {run.p99_ms:.1f} ms, {cost_us(run.cpu_seconds, run.answered):.0f} us CPU each"
    )
    return run


def find_max(
    bidder: BidderProcess, admin_port: int, args: argparse.Namespace, console: Console
) -> Run:
    """The run at the highest rate answered well: a ramp of x1.2 steps to the first failure,
    then ``--bisect`` halvings of the gap between the last rate that passed and it."""
    best: Run | None = None
    rate = args.start_rate
    while (run := _step(bidder, admin_port, rate, args, "ramp", console)).answered_well:
        best = run
        rate *= 1.2
    if best is None:
        raise SystemExit(f"even {args.start_rate:,.0f} req/s timed out: lower --start-rate")
    failed = rate
    for _ in range(args.bisect):
        middle = (best.rate + failed) / 2
        run = _step(bidder, admin_port, middle, args, "bisect", console)
        if run.answered_well:
            best = run
        else:
            failed = middle
    return best


def cost_us(cpu: float, requests: int) -> float:
    """Microseconds of CPU per request."""
    return 1e6 * cpu / max(1, requests)


def shed_bound(at_max: Run, shedding: Run) -> tuple[float, float, float]:
    """CPU per bid and per shed request (us), and the share of the maximum that a shedder
    paying those can keep at twice it: ``(b - 2s) / (b - s)``."""
    bid = cost_us(at_max.cpu_seconds, at_max.answered)
    if not shedding.shed:
        return bid, 0.0, 1.0
    bids = shedding.answered - shedding.shed
    shed = max(0.0, cost_us(shedding.cpu_seconds - bids * bid / 1e6, shedding.shed))
    return bid, shed, (bid - 2 * shed) / (bid - shed) if shed < bid else 0.0


def main(argv: list[str] | None = None) -> int:
    """Measure and print; 0 when useful throughput at 2x stayed >= 90% of the maximum."""
    parser = argparse.ArgumentParser(description="openbid under twice its maximum load.")
    parser.add_argument(
        "--cpu-quota", type=float, default=0.25, help="share of a CPU for the bidder"
    )
    parser.add_argument("--start-rate", type=float, default=500.0)
    parser.add_argument("--step-seconds", type=float, default=4.0)
    parser.add_argument(
        "--bisect", type=int, default=3, help="halvings of the gap above the ramp's last pass"
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each 2x run")
    parser.add_argument(
        "--max", type=float, help="take this as the maximum (req/s) instead of searching for it"
    )
    args = parser.parse_args(argv)
    console = Console()
    runs: dict[str, Run] = {}
    with tempfile.TemporaryDirectory(prefix="openbid-overload-") as scratch:
        try:
            with capped_bidder(args, False, Path(scratch)) as (bidder, admin):
                if args.max:
                    at_max = _step(bidder, admin, args.max, args, "at --max", console)
                else:
                    at_max = find_max(bidder, admin, args, console)
                maximum = at_max.rate
                runs["shedding off"] = drive(bidder, admin, 2 * maximum, args.seconds)
            with capped_bidder(args, True, Path(scratch)) as (bidder, admin):
                runs["shedding on"] = drive(bidder, admin, 2 * maximum, args.seconds)
        except PermissionError as error:
            console.print(f"cannot cap the bidder's CPU with a cgroup (run as root): {error}")
            return 2
    table = Table(
        title=f"2x overload: maximum {maximum:,.0f} req/s at {args.cpu_quota:.0%} of a CPU"
    )
    for column in ("", "offered/s", "useful/s", "of max", "shed", "timeouts", "p99 ms"):
        table.add_column(column, justify="right")
    for name, run in runs.items():
        table.add_row(
            name, f"{run.rate:,.0f}", f"{run.useful_per_second:,.0f}",
            f"{run.useful_per_second / maximum:.0%}", str(run.shed), str(run.timeouts),
            f"{run.p99_ms:.1f}",
        )  # fmt: skip
    console.print(table)
    bid, shed, bound = shed_bound(at_max, runs["shedding on"])
    console.print(
        f"CPU per bid {bid:.0f} us (at the maximum), per shed request {shed:.0f} us (at 2x): "
        f"at 2x no shedder can keep more than {bound:.0%} of the maximum with these costs "
        f"(90% needs a shed request to cost at most {bid / 11:.0f} us)"
    )
    return 0 if runs["shedding on"].useful_per_second >= 0.9 * maximum else 1


if __name__ == "__main__":
    sys.exit(main())
