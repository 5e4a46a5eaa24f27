"""Soak: one `openbid serve` driven for a long time by the exchange simulator, in windows.

``python bench/soak.py --duration 600 --rate R`` runs ``openbid exchange run`` back to back in
windows of ``--window`` seconds against one bidder (events written, notices called, budgets
kept), samples the bidder's RSS after each window, and prints per-window latency and errors.
It passes (exit 0) when, after the first window (the warm-up: caches, pools and the allocator
reach their working size), RSS grew less than ``--max-rss-growth``, every window's p99 stayed
within ``--max-p99-ratio`` of the first measured window's (or under ``--p99-floor-ms``), and no
window saw an error or timeout. The 60-second version runs in ``make test``.

``--redis-url`` keeps budgets and notices in Redis, as bidders on ECS do; without it they are
kept in the bidder, whose notice memory is meant to grow for an hour (the dedupe window), so a
ten-minute soak of it shows that growth.

The issue asks for 60% of the bidder's maximum; on a 2-vCPU machine the simulator shares the
cores with the bidder and tops out below that, so ``--rate`` is what the machine can offer;
the rate used is printed with the figures.
"""

import argparse
import json
import secrets
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import redis
from rich.console import Console
from rich.table import Table

from openbid.exchange.bidder_process import BidderProcess
from simulator_run import run_exchange

SIGNING_KEY = "soak:0123456789abcdef0123456789abcdef"


@dataclass(frozen=True, slots=True)
class Window:
    """One window's figures."""

    index: int
    requests: int
    achieved_rate: float
    p50_ms: float
    p99_ms: float
    errors: int
    timeouts: int
    rss_kib: int


def rss_kib(pid: int) -> int:
    """Resident set size of ``pid`` from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


@contextmanager
def redis_prefix(url: str) -> Iterator[str]:
    """A key prefix of this run's own in the Redis at ``url``; its keys are deleted afterwards."""
    prefix = f"soak-{secrets.token_hex(4)}"
    client = redis.Redis.from_url(url)
    try:
        client.ping()
        yield prefix
    finally:
        for key in client.scan_iter(match=f"{prefix}:*", count=1000):
            client.delete(key)
        client.close()


def drive(bid_url: str, rate: float, seconds: float, seed: int) -> dict[str, object]:
    """One window of simulator traffic; its JSON report."""
    return run_exchange(bid_url, rate, seconds, "--seed", str(seed))


def window(index: int, report: dict[str, object], pid: int) -> Window:
    """The figures of one window's report, with the bidder's RSS after it."""
    latency = report["latency_ms"]
    assert isinstance(latency, dict)
    return Window(
        index=index,
        requests=int(str(report["requests"])),
        achieved_rate=float(str(report["achieved_rate"])),
        p50_ms=float(latency["p50"]),
        p99_ms=float(latency["p99"]),
        errors=int(str(report["errors"])),
        timeouts=int(str(report["timeouts"])),
        rss_kib=rss_kib(pid),
    )


def verdict(windows: list[Window], args: argparse.Namespace) -> list[str]:
    """What failed, if anything."""
    problems = []
    baseline, last = windows[1], windows[-1]
    growth = (last.rss_kib - baseline.rss_kib) / baseline.rss_kib
    if growth >= args.max_rss_growth:
        problems.append(f"RSS grew {growth:.1%} after warm-up (limit {args.max_rss_growth:.0%})")
    p99_limit = max(baseline.p99_ms * args.max_p99_ratio, args.p99_floor_ms)
    for w in windows[1:]:
        if w.p99_ms > p99_limit:
            problems.append(f"window {w.index}: p99 {w.p99_ms:.2f} ms > {p99_limit:.2f} ms")
    for w in windows:
        if w.errors or w.timeouts:
            problems.append(f"window {w.index}: {w.errors} errors, {w.timeouts} timeouts")
    return problems


def print_windows(console: Console, windows: list[Window]) -> None:
    """One row per window."""
    table = Table(title="soak windows")
    for column in (
        "window",
        "requests",
        "req/s",
        "p50 ms",
        "p99 ms",
        "errors",
        "timeouts",
        "RSS MiB",
    ):
        table.add_column(column, justify="right")
    for w in windows:
        table.add_row(
            str(w.index), str(w.requests), f"{w.achieved_rate:,.0f}", f"{w.p50_ms:.2f}",
            f"{w.p99_ms:.2f}", str(w.errors), str(w.timeouts), f"{w.rss_kib / 1024:.1f}",
        )  # fmt: skip
    console.print(table)


def main(argv: list[str] | None = None) -> int:
    """Run the soak and print its figures; 0 when it passed."""
    parser = argparse.ArgumentParser(description="Soak one openbid serve with simulator traffic.")
    parser.add_argument("--duration", type=float, default=600.0, help="seconds in all")
    parser.add_argument("--window", type=float, default=30.0, help="seconds per window")
    parser.add_argument("--rate", type=float, default=3000.0, help="requests per second")
    parser.add_argument("--max-rss-growth", type=float, default=0.05)
    parser.add_argument("--max-p99-ratio", type=float, default=3.0)
    parser.add_argument("--p99-floor-ms", type=float, default=20.0)
    parser.add_argument(
        "--redis-url",
        help="keep budgets and notices in this Redis (as ECS tasks do) instead of in the bidder; "
        "keys under a prefix of the run's own, deleted afterwards",
    )
    parser.add_argument(
        "--events", default="parquet", choices=("parquet", "none"), help="the event log"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    count = max(2, round(args.duration / args.window))
    console = Console(stderr=args.json)
    windows: list[Window] = []
    with tempfile.TemporaryDirectory(prefix="openbid-soak-") as scratch:
        # event files every 5 s, so the first (which sizes Arrow's memory pool) is in the warm-up
        events = f"{scratch}/events/?rotate_seconds=5" if args.events == "parquet" else "none"
        serve_args = ["--signing-keys", SIGNING_KEY, "--events", events]
        with ExitStack() as stack:
            if args.redis_url:
                prefix = stack.enter_context(redis_prefix(args.redis_url))
                serve_args += ["--redis-url", args.redis_url, "--redis-prefix", prefix]
            bidder = stack.enter_context(
                BidderProcess(serve_args, log_path=Path(scratch) / "serve.log")
            )
            for index in range(count):
                report = drive(bidder.bid_url, args.rate, args.window, seed=index + 1)
                windows.append(window(index, report, bidder.pid))
                console.print(f"window {index}: {windows[-1]}")
    problems = verdict(windows, args)
    if args.json:
        figures = {
            "rate": args.rate,
            "windows": [asdict(w) for w in windows],
            "problems": problems,
        }
        print(json.dumps(figures, default=str))
    else:
        print_windows(console, windows)
        growth = (windows[-1].rss_kib - windows[1].rss_kib) / windows[1].rss_kib
        console.print(f"rate {args.rate:,.0f} req/s, RSS growth after warm-up {growth:+.2%}")
        console.print("PASS" if not problems else "FAIL:\n  " + "\n  ".join(problems))
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
