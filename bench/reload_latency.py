"""Live reload under load: does swapping in a 10,000-line-item catalog slow any request?

``openbid serve`` (pinned to CPU 0) serves a catalog file grown to 10,000 line items with every
targeting dimension in use, and checks it for changes every half second. ``openbid exchange run``
(pinned to CPU 1) sends open-loop traffic at a steady rate, latency measured from each request's
due time. The same run is made twice: once with the file left alone, once while the file is
rewritten every two seconds (alternating two catalogs that differ in one price, so each rewrite
is a real reload: parse, validate, compile, swap). The report compares the latency percentiles
and the slowest request of the two runs, with the number of reloads the server logged.

Goal (the catalog issue): a reload neither drops a request nor slows one beyond the bid
benchmark's p99 (``make bench``). Exits 1 if any request failed or timed out.
"""

import argparse
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from rich.table import Table

from bid_throughput import LOAD_CPU, free_port, make_console, running, server_commands
from grow_catalog import write_catalog

console = make_console(stderr=False)
PRICE = re.compile(r"cpm: (\d+(?:\.\d+)?)")
REWRITE_EVERY_S = 2.0


def two_catalogs(work: Path, line_items: int) -> tuple[Path, str, str]:
    """The catalog file and two versions of its text that differ in the first price."""
    path = work / "catalog.yaml"
    write_catalog(path, line_items, seed=1, all_dimensions=True)
    first = path.read_text()
    match = PRICE.search(first)
    if match is None:
        raise SystemExit("the grown catalog has no cpm to change")
    changed = f"cpm: {float(match[1]) + 0.01:.2f}"
    second = first[: match.start()] + changed + first[match.end() :]
    return path, first, second


def rewrite_until(stop: threading.Event, path: Path, texts: tuple[str, str]) -> None:
    """Alternate the file's content every REWRITE_EVERY_S until stopped (atomic renames)."""
    turn = 1
    while not stop.wait(REWRITE_EVERY_S):
        staging = path.with_suffix(".tmp")
        staging.write_text(texts[turn % 2])
        os.replace(staging, path)
        turn += 1


def load_run(bid_url: str, rate: float, duration: float) -> dict[str, object]:
    """One ``openbid exchange run`` on the load CPU; its JSON report."""
    command = [
        "taskset", "-c", LOAD_CPU, sys.executable, "-m", "openbid", "exchange", "run",
        "--bidder", bid_url, "--rate", str(rate), "--duration", str(duration),
        "--no-notices", "--json", "--seed", "7",
    ]  # fmt: skip
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=duration + 120, check=False
    )
    if not done.stdout.strip():
        raise SystemExit(f"exchange run failed: {done.stderr[-2000:]}")
    report: dict[str, object] = json.loads(done.stdout)
    return report


def main() -> int:
    """Run both phases and print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--line-items", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=2_000, help="requests per second")
    parser.add_argument("--duration", type=float, default=20, help="seconds per phase")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="openbid-reload-") as tmp:
        work = Path(tmp)
        console.print(f"growing a catalog of {args.line_items:,} line items...")
        path, first, second = two_catalogs(work, args.line_items)
        port = free_port()
        command = [*server_commands(port, path)["openbid"], "--reload-seconds", "0.5"]
        env = {**os.environ, "OPENBID_SIGNING_KEYS": f"bench:{secrets.token_hex(16)}"}
        log = work / "serve.log"
        bid_url = f"http://127.0.0.1:{port}/openrtb2/bid"
        with running(command, port, log, env):
            load_run(bid_url, args.rate, 3)  # warm-up
            console.print("phase 1: steady load, catalog unchanged")
            quiet = load_run(bid_url, args.rate, args.duration)
            reloads_before = log.read_text().count(" reloaded: ")
            console.print(f"phase 2: steady load, catalog rewritten every {REWRITE_EVERY_S:g} s")
            stop = threading.Event()
            writer = threading.Thread(target=rewrite_until, args=(stop, path, (first, second)))
            writer.start()
            try:
                busy = load_run(bid_url, args.rate, args.duration)
            finally:
                stop.set()
                writer.join()
            reload_lines = [line for line in log.read_text().splitlines() if " reloaded: " in line][
                reloads_before:
            ]
    table = Table(title=f"{args.rate:,.0f} req/s open loop, {args.line_items:,} line items")
    for column in ("phase", "requests", "errors", "timeouts", "p50", "p99", "p99.9", "max"):
        table.add_column(column, justify="right")
    failed = 0
    for name, report in (("unchanged", quiet), ("reloading", busy)):
        latency = report["latency_ms"]
        assert isinstance(latency, dict)
        errors, timeouts = int(str(report["errors"])), int(str(report["timeouts"]))
        failed += errors + timeouts
        table.add_row(
            name, f"{report['requests']:,}", str(errors), str(timeouts),
            *(f"{latency[key]:.2f} ms" for key in ("p50", "p99", "p99.9", "max")),
        )  # fmt: skip
    console.print(table)
    compile_ms = [float(m) for line in reload_lines for m in re.findall(r", (\d+) ms$", line)]
    console.print(
        f"reloads during phase 2: {len(reload_lines)}; each took "
        f"{min(compile_ms, default=0):.0f}-{max(compile_ms, default=0):.0f} ms (load + compile)"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
