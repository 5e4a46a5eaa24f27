"""The event log of a real `openbid serve` driven by the exchange simulator: a graceful stop
mid-run loses no event, a kill -9 loses at most the batch window and leaves no file the report
cannot read, and the report's counts are the simulator's own."""

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

from openbid.cli import app
from openbid.events.files import FileSink
from openbid.events.sources import local_files
from openbid.exchange.bidder_process import LOOPBACK, BidderProcess, free_port, is_ready

pytestmark = pytest.mark.e2e
RATE = 150.0  # requests per second: modest, other test sessions share the machine
KEYS = ["--signing-keys", "e2e:0123456789abcdef0123"]


def event_counts(root: Path) -> Counter[str]:
    """Events per kind in the finished files under ``root``."""
    files = [str(path) for path in local_files(root, None, None)]
    if not files:
        return Counter()
    with duckdb.connect() as db:
        rows = db.execute(
            f"SELECT kind, count(*) FROM read_parquet({files}, union_by_name = true) GROUP BY 1"
        ).fetchall()
    return Counter({str(kind): int(count) for kind, count in rows})


def answered(summary: dict[str, Any], kind: str) -> int:
    """Notices of ``kind`` the bidder answered with a 2xx."""
    outcomes: dict[str, int] = summary["notices"].get(kind, {})
    return sum(count for status, count in outcomes.items() if status.startswith("2"))


def wait_until_recording(root: Path, timeout: float = 30.0) -> None:
    """Wait until the bidder has journaled its first events: the simulator is sending."""
    deadline = time.monotonic() + timeout
    while not any(path.stat().st_size for path in root.glob(".staging/**/*.jsonl")):
        assert time.monotonic() < deadline, "no event recorded: is the simulator sending?"
        time.sleep(0.05)


class Driver:
    """``openbid exchange run`` against ``bid_url`` for ``seconds``, as a process."""

    def __init__(self, bid_url: str, seconds: float, work: Path) -> None:
        # A patient exchange: on a machine busy with other tests, an answer that comes late
        # would count as a timeout here though the bidder did bid (and record it).
        profile = work / "patient.json"
        profile.write_text(json.dumps({"tmax_ms": {"1500": 1}}))
        command = [
            sys.executable, "-m", "openbid", "exchange", "run", "--bidder", bid_url,
            "--rate", str(RATE), "--duration", str(seconds), "--seed", "11", "--grace", "0.5",
            "--profile", str(profile), "--json",
        ]  # fmt: skip
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def result(self) -> dict[str, Any]:
        """The simulator's summary, once the run is over."""
        out, err = self.process.communicate(timeout=60)
        assert out, err.decode()
        summary: dict[str, Any] = json.loads(out)
        return summary


def test_graceful_stop_mid_run_loses_no_event(tmp_path: Path) -> None:
    root = tmp_path / "events"
    bidder = BidderProcess([*KEYS, "--events", str(root), "--events-nobid-sample", "1"]).start()
    driver = Driver(bidder.bid_url, seconds=6.0, work=tmp_path)
    wait_until_recording(root)
    time.sleep(1.5)
    assert bidder.stop(timeout=30) == 0
    summary = driver.result()

    counts = event_counts(root)
    assert summary["timeouts"] == 0
    assert summary["impressions"]["bid"] > 100
    assert summary["errors"] > 0  # the simulator went on sending after the stop
    assert counts["bid"] == summary["impressions"]["bid"]
    assert counts["nobid"] == summary["no_bids"]  # sampled 1 in 1
    for kind in ("win", "bill", "loss"):
        assert answered(summary, kind) > 0, kind
        assert counts[kind] == answered(summary, kind), kind

    result = CliRunner().invoke(app, ["report", str(root), "--json"])
    assert result.exit_code == 0, result.output
    totals = json.loads(result.stdout)["totals"]
    assert sum(row["bids"] for row in totals) == summary["impressions"]["bid"]
    assert sum(row["wins"] for row in totals) == answered(summary, "win")
    assert sum(row["bills"] for row in totals) == answered(summary, "bill")


def test_kill_9_loses_at_most_the_batch_window(tmp_path: Path) -> None:
    root = tmp_path / "events"
    window = 0.25
    port = free_port()
    command = [
        sys.executable, "-m", "openbid", "serve", "--host", LOOPBACK, "--port", str(port), *KEYS,
        "--events", f"{root}?rotate_seconds=0.5", "--events-batch-window", str(window),
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while not is_ready(port):
            assert process.poll() is None, "serve exited"
            assert time.monotonic() < deadline, "serve did not start"
            time.sleep(0.05)
        driver = Driver(f"http://{LOOPBACK}:{port}/openrtb2/bid", seconds=6.0, work=tmp_path)
        wait_until_recording(root)
        started = time.monotonic()
        time.sleep(2.2)  # mid-run, and mid-rotation for some of the files
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)
        recording = time.monotonic() - started
        summary = driver.result()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    report = CliRunner().invoke(app, ["report", str(root), "--json"])
    assert report.exit_code == 0, report.output  # finished files only: none is partial
    FileSink(root).close(time.monotonic() + 10)  # the next writer recovers the journals
    written = event_counts(root)["bid"]
    sent = summary["impressions"]["bid"]
    bids_per_second = sent / (recording + window)  # the first window went before the clock
    assert sent > 100
    assert written <= sent
    # At most the window being collected, plus what was in flight on the loop; a quarter of a
    # second of slack for a writer thread scheduled late on a busy machine.
    assert sent - written <= bids_per_second * (window + 0.25), (sent, written)
