"""Telemetry's cost on the bid path, and the admin server's effect on bid throughput.

Part 1, per call (best of several timeit rounds, nanoseconds, against an empty function call
with the same arguments): counter increments, gauge set, latency observation with and without
the DogStatsD sample, the request ring's append, the capture tap's check, the log sampler, and
for comparison a labelled prometheus_client increment; then what the bid port really calls per
answered request, ``BidObserver.answered`` for a one-bid answer (event log off, and on with a
writer that discards); then one export round of each exporter.

Part 2, bid throughput (wrk, server pinned to CPU 0, wrk to CPU 1, as bench/bid_throughput.py)
of one process serving the demo catalog in five set-ups: ``bare`` (the bid port alone, no
observer); ``wired`` (the bid port as ``openbid serve`` wires it, event log off: every answer
goes through ``BidObserver``, which bumps the metrics, records into the ring and checks the tap,
and an export to Prometheus and DogStatsD runs every second); ``+admin`` (the admin API on the
same event loop, idle);
``+admin polled`` (the same while this script reads /metrics and /status every 0.5 s and asks
``why`` over 1,000 requests every 2 s); ``+admin thread polled`` (the admin API on its own
thread and loop instead, polled the same way). Throughput counts answers with a bid (200);
ratios are against ``bare`` in the same run.
"""

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import timeit
import urllib.request
from collections.abc import Callable
from statistics import median

from bid_throughput import REQUEST_FILE, free_port, run_wrk, stop, wait_ready
from openbid.admin.app import create_admin_app
from openbid.admin.context import AdminContext
from openbid.admin.ring import RequestRing
from openbid.admin.server import AdminServer
from openbid.admin.tap import LiveTap
from openbid.bidder.config import BidderConfig
from openbid.bidder.observe import BidObserver
from openbid.bidder.pipeline import Bidder
from openbid.bidder.snapshot import compile_catalog
from openbid.catalog.load import load_catalog
from openbid.events.build import EventBuilder, Origin
from openbid.events.log import EventLog
from openbid.events.schema import Deployment
from openbid.notices.signing import SigningKeys
from openbid.openrtb.codec import decode_request
from openbid.server.app import BidApp
from openbid.server.listener import start
from openbid.telemetry.flush import export_every
from openbid.telemetry.logging import RequestSampler
from openbid.telemetry.metrics import BidderMetrics
from openbid.telemetry.prometheus import PrometheusExporter
from openbid.telemetry.statsd import StatsdExporter, statsd_client

HOST = "127.0.0.1"
TOKEN = "bench-token"
TAGS = {"ecs_cluster": "bench", "task_family": "openbid", "deployment": "stable"}
MODES = ("bare", "wired", "+admin", "+admin polled", "+admin thread polled")


def per_call_ns(statement: Callable[[], object], number: int = 500_000) -> float:
    """Best of five rounds, nanoseconds per call."""
    return min(timeit.repeat(statement, number=number, repeat=5)) / number * 1e9


def micro() -> dict[str, float]:
    """Per-call costs of what the bid path would call, in nanoseconds."""
    from prometheus_client import CollectorRegistry, Counter  # noqa: PLC0415

    metrics = BidderMetrics()
    sampled = BidderMetrics()
    sampled.latency.keep = 512
    ring = RequestRing(size=1000)
    tap = LiveTap()
    sampler = RequestSampler(1000)
    body = REQUEST_FILE.read_bytes()
    prom = Counter("x", "x", ["exchange", "status"], registry=CollectorRegistry())

    def noop(*args: object) -> None:
        return None

    def tap_check() -> None:
        if tap.armed:
            noop()

    costs = {
        "no-op call (2 args)": per_call_ns(lambda: noop("default", 200)),
        "counter.inc(exchange, status)": per_call_ns(lambda: metrics.requests.inc("default", 200)),
        "counter.inc() no labels": per_call_ns(metrics.deadline_misses.inc),
        "counter.add(micros, currency)": per_call_ns(lambda: metrics.spend.add(1500, "USD")),
        "gauge.set(value, line_item)": per_call_ns(
            lambda: metrics.pacing_throttle.set(0.5, "li-1")
        ),
        "latency.observe()": per_call_ns(lambda: metrics.latency.observe(0.0042)),
        "latency.observe() with sample": per_call_ns(lambda: sampled.latency.observe(0.0042)),
        "ring.record(body)": per_call_ns(lambda: ring.record(body, "default", 0.0)),
        "tap check (disarmed)": per_call_ns(tap_check),
        "log sampler": per_call_ns(sampler),
        "prometheus_client labels().inc()": per_call_ns(
            lambda: prom.labels("default", "200").inc(), number=200_000
        ),
    }
    for index in range(200):  # a realistic spread of series for the export rounds
        metrics.no_bids.inc(f"reason-{index % 8}")
        metrics.requests.inc(f"exchange-{index % 5}", 200 + index % 3)
        metrics.pacing_throttle.set(0.1, f"li-{index}")
    exporter = PrometheusExporter(metrics, TAGS)
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink.bind((HOST, 0))
    statsd = StatsdExporter(metrics, statsd_client((HOST, sink.getsockname()[1]), TAGS))

    def export_round() -> None:
        metrics.requests.inc("exchange-1", 200)
        for _ in range(512):
            metrics.latency.observe(0.003)
        exporter.sync()
        statsd.flush()

    costs["export round: prometheus sync + statsd flush"] = per_call_ns(export_round, number=200)
    costs["render /metrics"] = per_call_ns(exporter.render, number=200)
    sink.close()
    return costs


class _DiscardingSink:
    """Takes event batches and forgets them: the observer's emit, without disk."""

    def write(self, events: object) -> None:
        """Forget the batch."""

    def tick(self) -> None:
        """Nothing to rotate."""

    def close(self, deadline: float) -> bool:
        """Nothing to finish."""
        return True


def _bidder() -> Bidder:
    config = BidderConfig(signing_keys=SigningKeys({"bench": b"k" * 32}, "bench"))
    return Bidder(config, compile_catalog(load_catalog(), config.seat))


def _observer(metrics: BidderMetrics, events: EventLog | None, ring: RequestRing) -> BidObserver:
    builder = EventBuilder(Origin("bench", Deployment.STABLE, "bench-task"))
    return BidObserver(metrics, events, builder, ring, LiveTap())


def observer_costs() -> dict[str, float]:
    """Nanoseconds per ``BidObserver.answered`` for a one-bid answer, event log off and on."""
    body = REQUEST_FILE.read_bytes()
    request = decode_request(body)
    bidder = _bidder()
    decision = bidder.bid(request, time.monotonic() + 3600)
    assert decision.body is not None, "the bench request should get a bid"
    off = _observer(BidderMetrics(), None, RequestRing(size=1000))
    log = EventLog(_DiscardingSink(), batch_window=0.05, capacity=10_000_000)
    on = _observer(BidderMetrics(), log, RequestRing(size=1000))
    arrival = time.monotonic()
    costs = {
        "BidObserver.answered, events off": per_call_ns(
            lambda: off.answered(body, request, "default", decision, arrival)
        ),
        "BidObserver.answered, events on": per_call_ns(
            lambda: on.answered(body, request, "default", decision, arrival), number=200_000
        ),
    }
    log.close(30)
    return costs


def _admin_in_thread(context: AdminContext, port: int) -> None:
    async def run() -> None:
        await AdminServer(create_admin_app(context, TOKEN), HOST, port).start()
        await asyncio.Event().wait()

    threading.Thread(target=asyncio.run, args=(run(),), daemon=True).start()


async def _serve(mode: str, port: int, admin_port: int) -> None:
    catalog = load_catalog()
    bidder = _bidder()
    metrics = BidderMetrics()
    ring = RequestRing(size=1000)
    observer = None if mode == "bare" else _observer(metrics, None, ring)
    routes = BidApp(bidder, observer=observer).routes()
    tasks = []
    if observer is not None:
        sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sink.bind((HOST, 0))
        prometheus = PrometheusExporter(metrics, TAGS)
        statsd = StatsdExporter(metrics, statsd_client((HOST, sink.getsockname()[1]), TAGS))
        exports = [prometheus.sync, statsd.flush]
        tasks.append(asyncio.get_running_loop().create_task(export_every(1.0, exports)))
        if "admin" in mode:
            context = AdminContext(
                bidder=bidder,
                tags=TAGS,
                config={},
                metrics=prometheus,
                catalog=lambda: catalog,
                ring=ring,
                tap=observer.tap,
            )
            if "thread" in mode:
                _admin_in_thread(context, admin_port)
            else:
                await AdminServer(create_admin_app(context, TOKEN), HOST, admin_port).start()
    await start(routes, HOST, port)
    stopped = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopped.set)
    await stopped.wait()


def serve(mode: str, port: int, admin_port: int) -> None:
    """Run one set-up until SIGTERM (in a child process)."""
    import uvloop  # noqa: PLC0415

    uvloop.run(_serve(mode, port, admin_port))


def _poll(admin_port: int, until: threading.Event, line_item: str) -> None:
    base = f"http://{HOST}:{admin_port}"
    headers = {"Authorization": f"Bearer {TOKEN}"}
    last_why = 0.0
    while not until.wait(0.5):
        paths = ["/metrics", "/status"]
        if time.monotonic() - last_why >= 2:
            paths.append(f"/line-items/{line_item}/why?requests=1000")
            last_why = time.monotonic()
        for path in paths:
            request = urllib.request.Request(base + path, headers=headers)
            with urllib.request.urlopen(request, timeout=10) as response:
                response.read()


def throughput(seconds: float, rounds: int) -> dict[str, float]:
    """Median answers with a bid per second per set-up (answers the server sheds under
    overload, or anything but a bid, are not throughput)."""
    line_item = compile_catalog(load_catalog(), "openbid").index.line_items[0].id
    results: dict[str, list[float]] = {mode: [] for mode in MODES}
    for _ in range(rounds):
        for mode in MODES:
            port, admin_port = free_port(), free_port()
            command = [
                "taskset", "-c", "0", sys.executable, __file__, "--serve", mode,
                str(port), str(admin_port),
            ]  # fmt: skip
            process = subprocess.Popen(command, start_new_session=True)
            try:
                wait_ready(process, port)
                done = threading.Event()
                poller = None
                if "polled" in mode:
                    poller = threading.Thread(target=_poll, args=(admin_port, done, line_item))
                    poller.start()
                result = run_wrk((port, process.pid), REQUEST_FILE, seconds, 32)
                done.set()
                if poller is not None:
                    poller.join()
                bids = result.statuses.get(200, 0)
                results[mode].append(bids / (result.duration_s or seconds))
            finally:
                stop(process)
    return {mode: median(values) for mode, values in results.items()}


def main(argv: list[str] | None = None) -> None:
    """Print both parts (or serve one set-up when called with --serve)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", nargs=3, metavar=("MODE", "PORT", "ADMIN_PORT"))
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="wrk runs per set-up")
    parser.add_argument("--micro-only", action="store_true", help="skip the throughput part")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if args.serve:
        mode, port, admin_port = args.serve
        serve(mode, int(port), int(admin_port))
        return
    report: dict[str, dict[str, float]] = {"per_call_ns": {**micro(), **observer_costs()}}
    if not args.micro_only:
        rates = throughput(args.seconds, args.rounds)
        report["bids_per_second"] = rates
        report["ratio_to_bare"] = {mode: rate / rates["bare"] for mode, rate in rates.items()}
    if args.json:
        print(json.dumps(report, indent=2))
        return
    for section, figures in report.items():
        print(section)
        for name, value in figures.items():
            print(f"  {name:48s} {value:12.2f}")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
