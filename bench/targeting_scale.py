"""Targeting at scale: how matching and bidding cost grow from 100 to 10,000 line items.

The demo catalog is grown with ``bench/grow_catalog.py --all-dimensions`` (every targeting
dimension in use) to 100, 1,000 and 10,000 line items. For each size:

* **build**: the time to compile the catalog into a snapshot (targeting index and bid
  fragments; the median of a few builds) and the memory the snapshot holds (tracemalloc);
* **match**: the time the targeting index takes per request, in process: request features,
  every dimension's posting lists, the impression masks (no decoding, no selection). Measured
  for ``bench/request.json`` and, averaged, over the Prebid Server request corpus (the best of
  several timed passes: the one least disturbed by other work on the machine);
* **throughput**: ``openbid serve`` with that catalog, pinned to CPU 0, loaded by one wrk
  thread on CPU 1 (keep-alive POSTs of ``bench/request.json``; helpers from
  ``bench/bid_throughput.py``). The three servers run side by side and the wrk rounds
  alternate between them, so drift in the machine's load hits every size alike; the median
  round counts. Each server's resident memory is read from /proc after its warm-up.

Goal: throughput at 10,000 line items at least 0.7x throughput at 100. Exits 1 when a server
fails to start or answers anything but 2xx; missing the goal only prints FAIL.
"""

import argparse
import contextlib
import gc
import json
import os
import secrets
import shutil
import signal
import statistics
import sys
import tempfile
import time
import tracemalloc
from dataclasses import asdict, dataclass, field
from pathlib import Path

import msgspec
from rich.markup import escape
from rich.table import Table

from bid_throughput import (
    REQUEST_FILE,
    BenchError,
    ServerRun,
    busy_cpu_share,
    check_bid,
    contention_warnings,
    free_port,
    machine,
    make_console,
    run_wrk,
    running,
    served_correctly,
    server_commands,
    verdict,
)
from grow_catalog import eligible_line_items, write_catalog
from openbid.bidder.snapshot import compile_catalog
from openbid.catalog.model import Catalog
from openbid.exchange.replay import read_requests
from openbid.openrtb.codec import InvalidRequest, decode_request
from openbid.openrtb.model import BidRequest
from openbid.targeting.features import request_features
from openbid.targeting.index import TargetingIndex

SIZES = (100, 1_000, 10_000)
RATIO_GOAL = 0.7
BUILDS = 3  # compile runs per size (median)
MATCH_LOOPS = 2_000  # index matches of the benchmark request per timing sample
MATCH_SAMPLES = 7
CORPUS = Path(__file__).resolve().parents[1] / "tests/fixtures/prebid-server"
NOW = time.time()  # one instant for every in-process match (schedules are hour-of-week)

console = make_console(stderr=True)


@dataclass
class SizeResult:
    """What was measured for one catalog size."""

    line_items: int
    eligible: int
    build_s: float
    index_build_s: float
    snapshot_mib: float
    match_us: float  # bench/request.json
    corpus_match_us: float  # mean over the Prebid Server corpus
    server_rss_mib: float | None = None
    rps: float | None = None
    rounds: list[float] = field(default_factory=list)


def match(index: TargetingIndex, request: BidRequest) -> int:
    """What the bid path asks of the index: features, request mask, each impression's mask."""
    features = request_features(request, now=NOW)
    mask = index.request_mask(features, request.wseat, request.bseat)
    found = 0
    for imp in request.imp:
        found |= mask & index.imp_mask(imp)
    return found


def match_us(index: TargetingIndex, request: BidRequest) -> float:
    """Microseconds the index takes to match one request: the least disturbed of the samples."""
    samples = []
    for _ in range(MATCH_SAMPLES):
        start = time.perf_counter()
        for _ in range(MATCH_LOOPS):
            match(index, request)
        samples.append((time.perf_counter() - start) / MATCH_LOOPS)
    return min(samples) * 1e6


def corpus_match_us(index: TargetingIndex, corpus: list[BidRequest]) -> float:
    """Mean microseconds per request over the corpus, matched back to back (best pass)."""
    best = float("inf")
    for _ in range(MATCH_SAMPLES):
        start = time.perf_counter()
        for request in corpus:
            match(index, request)
        best = min(best, time.perf_counter() - start)
    return best / max(len(corpus), 1) * 1e6


def load_corpus() -> list[BidRequest]:
    """The Prebid Server bidder requests that decode (a varied, real-world-shaped mix)."""
    corpus = []
    for recorded in read_requests(sorted(CORPUS.glob("*requests*.jsonl"))):
        with contextlib.suppress(InvalidRequest):
            corpus.append(decode_request(recorded.body))
    return corpus


def build_times(catalog: Catalog) -> tuple[float, float, float]:
    """Median seconds to compile a snapshot and the index alone, and the snapshot's MiB."""
    snapshot_runs, index_runs = [], []
    for _ in range(BUILDS):
        start = time.perf_counter()
        compile_catalog(catalog, "openbid")
        snapshot_runs.append(time.perf_counter() - start)
        start = time.perf_counter()
        TargetingIndex(catalog, "openbid")
        index_runs.append(time.perf_counter() - start)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    snapshot = compile_catalog(catalog, "openbid")
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    del snapshot
    return statistics.median(snapshot_runs), statistics.median(index_runs), held / 2**20


def rss_mib(pid: int) -> float | None:
    """Resident memory of a process, from /proc."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return None


def in_process(catalog: Catalog, body: bytes, corpus: list[BidRequest]) -> SizeResult:
    """Build and match figures for one catalog."""
    build_s, index_build_s, snapshot_mib = build_times(catalog)
    index = TargetingIndex(catalog, "openbid")
    request = decode_request(body)
    return SizeResult(
        line_items=len(catalog.line_items),
        eligible=eligible_line_items(catalog, body),
        build_s=build_s,
        index_build_s=index_build_s,
        snapshot_mib=snapshot_mib,
        match_us=match_us(index, request),
        corpus_match_us=corpus_match_us(index, corpus),
    )


def load_servers(
    catalogs: dict[int, Path],
    results: dict[int, SizeResult],
    runs: dict[int, ServerRun],
    args: argparse.Namespace,
    work: Path,
) -> None:
    """Start a server per size, then alternate wrk rounds between them; fills in the results."""
    body_file = work / "request.json"
    env = {**os.environ, "OPENBID_SIGNING_KEYS": f"bench:{secrets.token_hex(16)}"}
    with contextlib.ExitStack() as stack:
        targets: dict[int, tuple[int, int]] = {}
        for size, catalog_file in catalogs.items():
            port = free_port()
            command = server_commands(port, catalog_file)["openbid"]
            runs[size] = ServerRun(f"openbid @ {size:,}", command)
            process = stack.enter_context(running(command, port, work / f"{size}.log", env))
            targets[size] = (port, process.pid)
            runs[size].notes.append(check_bid(port, body_file.read_bytes()))
        for size, target in targets.items():
            run_wrk(target, body_file, args.warmup, args.connections)
            results[size].server_rss_mib = rss_mib(target[1])
        for number in range(1, args.rounds + 1):
            for size, target in targets.items():
                result = run_wrk(target, body_file, args.duration, args.connections)
                served_correctly(result, f"{size} line items, round {number}")
                runs[size].rounds.append(result)
                results[size].rounds.append(result.rps)
                console.print(
                    f"  round {number}, {size:>6,} line items: {result.rps:,.0f} req/s, "
                    f"p99 {result.p99_ms:.2f} ms, server CPU {result.server_cpu or 0:.0%}"
                )
    for size, run in runs.items():
        run.result = sorted(run.rounds, key=lambda r: r.rps)[(len(run.rounds) - 1) // 2]
        results[size].rps = run.result.rps


def ratio(results: dict[int, SizeResult]) -> float | None:
    """Throughput at the largest size over throughput at the smallest."""
    small, large = results[SIZES[0]].rps, results[SIZES[-1]].rps
    return large / small if small and large else None


def print_report(
    info: dict[str, str], results: dict[int, SizeResult], runs: dict[int, ServerRun]
) -> None:
    """One table per concern, then the goal."""
    out = make_console(stderr=False)
    out.print(
        f"[bold]machine[/bold]: {info['cpu']}, {info['cores']} cores, Linux {info['kernel']}, "
        f"Python {info['python']}, {info['wrk']}"
    )
    table = Table(title="targeting at scale (catalog grown with every targeting dimension)")
    columns = ("line items", "eligible", "snapshot build", "index build", "snapshot memory")
    more = ("match: bench request", "match: corpus mean", "server RSS", "req/s (median)", "rounds")
    for column in (*columns, *more):
        table.add_column(column, justify="right")
    for size in SIZES:
        r = results[size]
        table.add_row(
            f"{r.line_items:,}",
            f"{r.eligible:,} ({r.eligible / r.line_items:.1%})",
            f"{r.build_s * 1000:,.0f} ms",
            f"{r.index_build_s * 1000:,.0f} ms",
            f"{r.snapshot_mib:.1f} MiB",
            f"{r.match_us:.1f} µs",
            f"{r.corpus_match_us:.1f} µs",
            f"{r.server_rss_mib:.0f} MiB" if r.server_rss_mib else "-",
            f"{r.rps:,.0f}" if r.rps else "-",
            " / ".join(f"{x / 1000:.1f}k" for x in r.rounds) or "-",
        )
    out.print(table)
    for warning in contention_warnings({str(size): run for size, run in runs.items()}):
        out.print(f"[yellow]warning[/yellow]: {warning}")
    value = ratio(results)
    out.print(
        f"throughput({SIZES[-1]:,}) / throughput({SIZES[0]:,}) = "
        + (f"{value:.2f}x" if value is not None else "-")
        + f" (goal >= {RATIO_GOAL}x): {verdict(value is not None and value >= RATIO_GOAL)}"
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description="openbid targeting cost from 100 to 10k items.")
    parser.add_argument("--duration", type=float, default=5, help="seconds per wrk round")
    parser.add_argument("--rounds", type=int, default=5, help="wrk rounds per size (median)")
    parser.add_argument("--warmup", type=float, default=2, help="seconds of warm-up per server")
    parser.add_argument("--connections", type=int, default=64, help="wrk connections")
    parser.add_argument("--no-load", action="store_true", help="in-process figures only")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    return parser.parse_args(argv)


def _terminate(signum: int, frame: object) -> None:
    """SIGTERM unwinds like Ctrl-C, so that every server is stopped on the way out."""
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; 1 if a server failed to serve correctly, 0 otherwise."""
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    if not args.no_load:
        for tool in ("wrk", "taskset"):
            if shutil.which(tool) is None:
                console.print(f"[red]{tool} not found[/red]: run scripts/install-system-deps.sh")
                return 1
    info = machine()
    busy = busy_cpu_share()
    if busy > 0.1:
        console.print(f"[yellow]warning[/yellow]: the CPUs are {busy:.0%} busy before starting")
    body = msgspec.json.encode(msgspec.json.decode(REQUEST_FILE.read_bytes()))
    corpus = load_corpus()
    results: dict[int, SizeResult] = {}
    runs: dict[int, ServerRun] = {}
    with tempfile.TemporaryDirectory(prefix="openbid-targeting-") as workdir:
        work = Path(workdir)
        (work / "request.json").write_bytes(body)
        catalogs = {size: work / f"catalog-{size}.yaml" for size in SIZES}
        for size, path in catalogs.items():
            catalog = write_catalog(path, size, all_dimensions=True)
            results[size] = in_process(catalog, body, corpus)
            console.print(
                f"{size:>6,} line items: build {results[size].build_s * 1000:,.0f} ms, "
                f"match {results[size].match_us:.1f} µs (corpus of {len(corpus)}: "
                f"{results[size].corpus_match_us:.1f} µs)"
            )
        if not args.no_load:
            try:
                load_servers(catalogs, results, runs, args, work)
            except BenchError as error:
                console.print(f"[red]failed[/red]: {escape(str(error))}")
                return 1
    if args.json:
        document = {
            "machine": info,
            "busy_before": busy,
            "results": {size: asdict(r) for size, r in results.items()},
            "ratio": ratio(results),
            "goal": RATIO_GOAL,
        }
        print(json.dumps(document, indent=2))
    else:
        print_report(info, results, runs)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        console.print("[yellow]interrupted[/yellow]: servers stopped")
        sys.exit(130)
