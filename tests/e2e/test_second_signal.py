"""A second SIGTERM (or a SIGINT) during `openbid serve`'s graceful drain: open connections are
closed at once, the events queued before the first signal are still written, and the process
(or, with --workers, the supervisor and every worker) exits 0 at once, without a traceback."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from bid_client import SIMPLE_BANNER, post_bid
from pacing_harness import SHARED_REDIS_URL, redis_keys, wait_until

from openbid.events.sources import local_files
from openbid.exchange.bidder_process import LOOPBACK, free_port, is_ready

pytestmark = pytest.mark.e2e
KEYS = ["--signing-keys", "e2e:0123456789abcdef0123"]
DRAIN_SECONDS = 25  # far beyond the 10 s body timeout that would end the drain on its own
PROMPT_SECONDS = 6.0  # a stop cut short by the second signal takes less than this


def _refused(port: int) -> bool:
    """Whether nothing listens on loopback ``port`` any more: the drain has begun."""
    try:
        socket.create_connection((LOOPBACK, port), timeout=0.5).close()
    except ConnectionRefusedError:
        return True
    return False


@contextlib.contextmanager
def _held(port: int) -> Iterator[socket.socket]:
    """A connection stuck mid-request: the server has read the headers (it said 100 Continue)
    and waits for the rest of the body, so a graceful drain waits for it."""
    conn = socket.create_connection((LOOPBACK, port), timeout=10)
    try:
        head = (
            f"POST /openrtb2/bid HTTP/1.1\r\nHost: {LOOPBACK}\r\nExpect: 100-continue\r\n"
            f"Content-Length: {len(SIMPLE_BANNER)}\r\n\r\n"
        )
        conn.sendall(head.encode())
        assert conn.recv(64).startswith(b"HTTP/1.1 100 Continue")
        conn.sendall(SIMPLE_BANNER[:10])
        yield conn
    finally:
        conn.close()


def _closed_by_server(conn: socket.socket) -> bool:
    try:
        return conn.recv(1) == b""
    except ConnectionResetError:
        return True


def _events_written(root: Path) -> int:
    files = [str(path) for path in local_files(root, None, None)]
    if not files:
        return 0
    with duckdb.connect() as db:
        row = db.execute(f"SELECT count(*) FROM read_parquet({files})").fetchone()
    return int(row[0]) if row else 0


def _stop_twice(process: subprocess.Popen[bytes], port: int, second: signal.Signals) -> float:
    """SIGTERM, wait until the drain has begun, send `second`; seconds until the exit."""
    process.send_signal(signal.SIGTERM)
    assert wait_until(lambda: _refused(port), 10, step=0.05), "not within 10 s: the drain to begin"
    assert process.poll() is None, "exited before the held connection was let go"
    process.send_signal(second)
    sent = time.monotonic()
    try:
        process.wait(DRAIN_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    return time.monotonic() - sent


def _serve(args: list[str], log: Path) -> tuple[subprocess.Popen[bytes], int]:
    """`openbid serve ARGS` on a free loopback port, its output in `log`."""
    port = free_port()
    command = [sys.executable, "-m", "openbid", "serve", "--host", LOOPBACK, "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen([*command, *KEYS, *args], stdout=out, stderr=out)
    return process, port


def _kill(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()
        process.wait()


@pytest.mark.parametrize("second", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "sigint"])
def test_a_second_signal_cuts_the_drain_short_and_keeps_queued_events(
    tmp_path: Path, second: signal.Signals
) -> None:
    root, log = tmp_path / "events", tmp_path / "serve.log"
    args = [
        "--events", str(root), "--events-nobid-sample", "1",
        "--events-batch-window", "60",  # nothing written before the stop: all still queued
        "--drain-seconds", str(DRAIN_SECONDS), "--admin-port", "0",
    ]  # fmt: skip
    process, port = _serve(args, log)
    try:
        assert wait_until(lambda: is_ready(port), 20, step=0.05), (
            "not within 20 s: openbid serve ready"
        )
        for _ in range(20):
            assert post_bid(port) in (200, 204)
        with _held(port) as held:
            took = _stop_twice(process, port, second)
            assert _closed_by_server(held)
    finally:
        _kill(process)
    output = log.read_text()
    assert process.returncode == 0, output
    assert took < PROMPT_SECONDS, output
    assert "Traceback" not in output, output
    assert "second signal: closing open connections now" in output
    assert _events_written(root) == 20  # one event per request, none dropped
    assert not list(root.glob(".staging/**/*.jsonl"))  # every file finished


def test_a_second_sigterm_stops_the_supervisor_and_its_workers_at_once(tmp_path: Path) -> None:
    with redis_keys() as prefix:
        _stop_workers_twice(tmp_path, prefix)


def _stop_workers_twice(tmp_path: Path, prefix: str) -> None:
    log = tmp_path / "serve.log"
    args = [
        "--workers", "2", "--redis-url", SHARED_REDIS_URL, "--redis-prefix", prefix,
        "--events", "none", "--drain-seconds", str(DRAIN_SECONDS), "--admin-port", "0",
    ]  # fmt: skip
    process, port = _serve(args, log)
    children: list[int] = []
    try:
        assert wait_until(lambda: log.read_text().count("listening on") == 2, 25, step=0.05), (
            "not within 25 s: both workers listening"
        )
        children = _children(process.pid)
        assert len(children) == 2
        with contextlib.ExitStack() as stack:
            # the kernel spreads connections over the workers: each gets some (but 1 in 128)
            held = [stack.enter_context(_held(port)) for _ in range(8)]
            took = _stop_twice(process, port, signal.SIGTERM)
            assert all(_closed_by_server(conn) for conn in held)
    finally:
        _kill(process)
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGKILL)
    output = log.read_text()
    assert process.returncode == 0, output
    assert took < PROMPT_SECONDS, output
    assert not [pid for pid in children if Path(f"/proc/{pid}").exists()]
    assert "Traceback" not in output, output
    assert "another SIGTERM: passing it on to the workers" in output
    assert "second signal: closing open connections now" in output


def _children(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False)
    return [int(child) for child in found.stdout.split()]
