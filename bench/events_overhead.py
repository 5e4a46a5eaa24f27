"""What the event log costs the bidder, measured in-process (``python bench/events_overhead.py``).

1. **On the bid path**: nanoseconds per ``EventBuilder.bid`` (building the event) and per
   ``EventLog.emit`` (queueing it), against an empty function call as the floor.
2. **The writer**: events per second that a ``FileSink`` journals and then encodes into
   finished files, Parquet (zstd) against gzip JSON Lines, and bytes per event on disk.
3. **The event loop beside the writer**: an asyncio loop emits events at a steady rate (in
   ticks of 1 ms, as a bidder's loop would between requests) while the writer thread batches
   and writes them every 0.2 s; the loop's lateness (how long past each 1 ms tick it woke)
   is compared with the same loop emitting nothing. This is where the interpreter lock shows:
   what the writer does while holding it delays the loop.

4. **The wired bidder** (the issue's goal: throughput with event logging at least 0.9x without):
   ``openbid serve`` on the demo catalog without its budgets (so that no bid is held back by a
   lease running dry: only the event log differs), pinned to CPU 0 and loaded by wrk on CPU 1 with
   keep-alive POSTs of ``bench/request.json`` (one bid per request, so one ``bid`` event each),
   with ``--events none`` against ``--events DIR`` (Parquet, and gzip JSON Lines), alternating,
   the median of a few rounds each; the events each run wrote are counted from the files.
"""

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
from importlib import resources
from pathlib import Path

import duckdb
import yaml
from rich.console import Console
from rich.table import Table

from bid_throughput import REQUEST_FILE, check_bid, free_port, run_wrk, stop, wait_ready
from openbid.catalog.load import DEMO_CATALOG
from openbid.events.build import Audience, EventBuilder, Origin
from openbid.events.encode import FileFormat
from openbid.events.files import FileSink
from openbid.events.log import EventLog
from openbid.events.schema import Deployment, Event
from openbid.events.sources import local_files

console = Console(width=None if Console().is_terminal else 110)
AUDIENCE = Audience("3f2a9c0d1e7b4a55", "USA", "US-NY", 4, "iOS")
HOST = "127.0.0.1"
THROUGHPUT_GOAL = 0.9
WIRED_MODES = ("events off", "parquet", "jsonl")


def make_builder() -> EventBuilder:
    """A builder stamped like a bidder's."""
    return EventBuilder(Origin("0.1.0", Deployment.STABLE, "bench-task"))


def bid(builder: EventBuilder, n: int) -> Event:
    """A bid event with realistic ids."""
    return builder.bid(
        auction_id=f"7d1c0e9a-{n:08d}",
        imp_id="1",
        bid_id=f"9ab3f1{n:x}",
        exchange="adx",
        line_item="li-acme-display-us",
        campaign="cmp-acme-spring",
        advertiser="adv-acme",
        creative="cr-acme-300x250",
        price_micros=2_500_000,
        currency="USD",
        audience=AUDIENCE,
    )


def ns_per_call(statement: "timeit._Stmt", number: int) -> float:
    """The best of five runs, in nanoseconds per call."""
    return min(timeit.repeat(statement, number=number, repeat=5)) / number * 1e9


class NullSink:
    """Takes batches and forgets them: emit is measured without a writer falling behind."""

    def write(self, events: object) -> None:
        """Forget the batch."""

    def tick(self) -> None:
        """Nothing to rotate."""

    def close(self, deadline: float) -> bool:
        """Nothing to finish."""
        return True


def hot_path(number: int) -> Table:
    """Per-event cost of building and emitting, against an empty call."""
    builder = make_builder()
    events = [bid(builder, n) for n in range(number)]
    log = EventLog(NullSink(), batch_window=0.05, capacity=number * 6)
    it = iter(events * 5)
    emit = log.emit

    def empty() -> None:
        pass

    table = Table(title="On the bid path (per event, best of 5)")
    table.add_column("step")
    table.add_column("ns", justify="right")
    table.add_row("empty function call (floor)", f"{ns_per_call(empty, number):.0f}")
    table.add_row("EventBuilder.bid", f"{ns_per_call(lambda: bid(builder, 7), number):.0f}")
    table.add_row("EventLog.emit", f"{ns_per_call(lambda: emit(next(it)), number):.0f}")
    log.close(10)
    return table


def writer_throughput(number: int) -> Table:
    """Events per second journaled and finished, per format."""
    builder = make_builder()
    events = [bid(builder, n) for n in range(number)]
    table = Table(title=f"Writer throughput ({number:,} bid events, one thread)")
    for column in ("format", "journal (events/s)", "finish (events/s)", "overall", "bytes/event"):
        table.add_column(column, justify="right")
    for file_format in FileFormat:
        with tempfile.TemporaryDirectory() as work:
            sink = FileSink(Path(work), file_format, rotate_bytes=1 << 40)
            began = time.perf_counter()
            for start in range(0, number, 5000):
                sink.write(events[start : start + 5000])
            journaled = time.perf_counter()
            sink.close(time.monotonic() + 60)
            finished = time.perf_counter()
            size = sum(p.stat().st_size for p in Path(work).rglob(f"*{file_format.suffix}"))
        table.add_row(
            file_format.value,
            f"{number / (journaled - began):,.0f}",
            f"{number / (finished - journaled):,.0f}",
            f"{number / (finished - began):,.0f}",
            f"{size / number:.0f}",
        )
    return table


async def loop_lateness(rate: int, seconds: float, log: EventLog | None) -> list[float]:
    """Milliseconds each 1 ms tick woke late while emitting ``rate`` events/s (none if no log)."""
    builder = make_builder()
    per_tick = rate // 1000
    late: list[float] = []
    n = 0
    deadline = time.perf_counter() + seconds
    due = time.perf_counter()
    while due < deadline:
        due += 0.001
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        late.append((time.perf_counter() - due) * 1000)
        if log is not None:
            for _ in range(per_tick):
                log.emit(bid(builder, n))
                n += 1
    return late


def event_loop_impact(rate: int, seconds: float) -> Table:
    """Loop lateness with no log, and with a Parquet and a JSONL writer beside it."""
    table = Table(title=f"Event loop beside the writer ({rate:,} events/s for {seconds:.0f} s)")
    for column in ("writer", "late p50 ms", "p99 ms", "p99.9 ms", "max ms", "written"):
        table.add_column(column, justify="right")
    cases: list[tuple[str, FileFormat | None]] = [
        ("none (loop only)", None),
        ("parquet", FileFormat.PARQUET),
        ("jsonl", FileFormat.JSONL),
    ]
    for name, file_format in cases:
        with tempfile.TemporaryDirectory() as work:
            log = None
            if file_format is not None:
                sink = FileSink(Path(work), file_format, rotate_seconds=1.0)
                log = EventLog(sink, batch_window=0.2, capacity=rate * 2)
            late = sorted(asyncio.run(loop_lateness(rate, seconds, log)))
            written = "-"
            if log is not None:
                log.close(30)
                stats = log.stats()
                written = f"{stats.written:,} ({stats.dropped:,} dropped)"

        def at(share: float, values: list[float] = late) -> str:
            return f"{values[min(len(values) - 1, int(share * len(values)))]:.2f}"

        table.add_row(
            name, f"{statistics.median(late):.2f}", at(0.99), at(0.999), f"{late[-1]:.2f}", written
        )
    return table


def unbudgeted_catalog(path: Path) -> Path:
    """The demo catalog without budgets, written to ``path``."""
    text = resources.files("openbid.catalog").joinpath(DEMO_CATALOG).read_text("utf-8")
    catalog = yaml.safe_load(text)
    for entity in (*catalog["campaigns"], *catalog["line_items"]):
        entity.pop("budget", None)
    path.write_text(json.dumps(catalog))
    return path


def _serve_args(mode: str, directory: Path) -> list[str]:
    if mode == "events off":
        return ["--events", "none"]
    return ["--events", f"{directory}?format={mode}"]


def _bid_events(directory: Path) -> int:
    files = [str(path) for path in local_files(directory, None, None)]
    if not files:
        return 0
    reader = "read_parquet" if files[0].endswith(".parquet") else "read_json_auto"
    with duckdb.connect() as db:
        row = db.execute(f"SELECT count(*) FROM {reader}({files}) WHERE kind = 'bid'").fetchone()
    return int(row[0]) if row else 0


class WiredRun:
    """One wrk run's figures: answers with a bid per second, other answers, bid events."""

    def __init__(self, bids_per_second: float, bids: int, others: str, events: int) -> None:
        self.bids_per_second = bids_per_second
        self.bids = bids
        self.others = others
        self.events = events


def wired_round(mode: str, seconds: float, connections: int) -> WiredRun:
    """One wrk run against ``openbid serve`` in ``mode``."""
    port = free_port()
    with tempfile.TemporaryDirectory() as work:
        directory = Path(work) / "events"
        command = [
            "taskset", "-c", "0", sys.executable, "-m", "openbid", "serve", "--host", HOST,
            "--port", str(port), "--signing-keys", "bench:0123456789abcdef0123",
            "--log-level", "warning", "--catalog", str(unbudgeted_catalog(Path(work) / "c.json")),
            *_serve_args(mode, directory),
        ]  # fmt: skip
        process = subprocess.Popen(command, start_new_session=True)
        try:
            wait_ready(process, port)
            check_bid(port, REQUEST_FILE.read_bytes())
            result = run_wrk((port, process.pid), REQUEST_FILE, seconds, connections)
        finally:
            stop(process)
        events = _bid_events(directory) if mode != "events off" else 0
    bids = result.statuses.get(200, 0)
    other = [f"{n:,}x{code}" for code, n in sorted(result.statuses.items()) if code != 200]
    others = " ".join(other + ([f"{result.errors:,} errors"] if result.errors else [])) or "0"
    return WiredRun(bids / (result.duration_s or seconds), bids, others, events)


def wired_throughput(seconds: float, rounds: int, connections: int) -> Table:
    """Median bids/s (answers with a bid) of openbid serve with the event log off and on."""
    runs: dict[str, list[WiredRun]] = {mode: [] for mode in WIRED_MODES}
    for _ in range(rounds):
        for mode in WIRED_MODES:
            runs[mode].append(wired_round(mode, seconds, connections))
    off = statistics.median(run.bids_per_second for run in runs["events off"])
    table = Table(
        title=f"openbid serve, event log off and on (wrk, {connections} connections, "
        f"{seconds:.0f} s x {rounds} rounds, medians)"
    )
    columns = ("events", "bids/s", "ratio to off", "goal", "other answers", "bid events/bids")
    for column in columns:
        table.add_column(column, justify="right")
    for mode in WIRED_MODES:
        rate = statistics.median(run.bids_per_second for run in runs[mode])
        ratio = rate / off if off else 0.0
        goal = "PASS" if ratio >= THROUGHPUT_GOAL else "FAIL"
        # one warm-up bid (check_bid) precedes each wrk run; wrk stops counting with requests
        # still in flight, which the bidder answers (and records) all the same
        written = ", ".join(f"{run.events:,}/{run.bids + 1:,}" for run in runs[mode])
        if mode == "events off":
            goal, written = "-", "-"
        others = ", ".join(run.others for run in runs[mode])
        table.add_row(mode, f"{rate:,.0f}", f"{ratio:.3f}", goal, others, written)
    return table


def main() -> None:
    """Run the four measurements and print them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000, help="events per throughput run")
    parser.add_argument("--rate", type=int, default=20_000, help="events/s in the loop test")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of the loop test")
    parser.add_argument("--wrk-seconds", type=float, default=8.0, help="length of each wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="wrk runs per set-up")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")
    parser.add_argument("--wired-only", action="store_true", help="only the wired bidder")
    args = parser.parse_args()
    if not args.wired_only:
        console.print(hot_path(100_000))
        console.print(writer_throughput(args.events))
        console.print(event_loop_impact(args.rate, args.seconds))
    console.print(wired_throughput(args.wrk_seconds, args.rounds, args.connections))


if __name__ == "__main__":
    main()
