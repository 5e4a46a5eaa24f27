"""`openbid serve --workers 2`: two bidder processes share one port, their metrics are one, a
dead worker is replaced, and SIGTERM stops them all."""

import contextlib
import http.client
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from bid_client import post_bid
from pacing_harness import SHARED_REDIS_URL, redis_keys

from openbid.exchange.bidder_process import LOOPBACK, free_port, is_ready

pytestmark = pytest.mark.e2e
TOKEN = "workers-e2e-token"
REQUESTS_SERIES = re.compile(
    r'^openbid_requests_total\{[^}]*status="(?:200|204)"[^}]*\} (\S+)$', re.M
)


class Workers:
    """A supervisor process and the ports it serves."""

    def __init__(self, process: subprocess.Popen[bytes], port: int, admin_port: int) -> None:
        self.process = process
        self.port = port
        self.admin_port = admin_port

    def children(self) -> list[int]:
        """The worker processes' ids."""
        found = subprocess.run(
            ["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True, check=False
        )
        return [int(pid) for pid in found.stdout.split()]


def _get(port: int, path: str, token: str | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(LOOPBACK, port, timeout=5)
    try:
        conn.request("GET", path, headers={"Authorization": f"Bearer {token}"} if token else {})
        answer = conn.getresponse()
        return answer.status, answer.read()
    finally:
        conn.close()


def _wait(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"not within {seconds} s: {what}")


def _free_port_pair() -> int:
    """A port that is free with the next one (worker i's admin port is the first + i), below
    the ephemeral range so that no client connection takes the second meanwhile."""
    for candidate in random.Random().sample(range(20_000, 30_000, 2), 200):
        with contextlib.ExitStack() as stack:
            try:
                for port in (candidate, candidate + 1):
                    probe = stack.enter_context(socket.socket())
                    probe.bind((LOOPBACK, port))
            except OSError:
                continue
            return candidate
    raise AssertionError("no two free consecutive ports")


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[Workers]:
    """`openbid serve --workers 2` on a fixed port, sharing a Redis key prefix of its own."""
    with redis_keys() as prefix:
        yield from _workers(tmp_path, prefix)


def _workers(tmp_path: Path, prefix: str) -> Iterator[Workers]:
    port, admin_port = free_port(), _free_port_pair()
    command = [
        sys.executable, "-m", "openbid", "serve", "--workers", "2", "--host", LOOPBACK,
        "--port", str(port), "--redis-url", SHARED_REDIS_URL, "--redis-prefix", prefix,
        "--events", "none", "--signing-keys", "w:0123456789abcdef0123",
        "--admin-port", str(admin_port), "--admin-token", TOKEN, "--metrics-interval", "0.2",
    ]  # fmt: skip
    with (tmp_path / "serve.log").open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=log)
        served = Workers(process, port, admin_port)
        try:
            _wait(
                lambda: is_ready(port) and all(_ready_admin(admin_port + i) for i in range(2)),
                30,
                "both workers' admin APIs ready",
            )
            yield served
        finally:
            if process.poll() is None:
                children = served.children()
                process.kill()
                process.wait()
                for child in children:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(child, signal.SIGKILL)


def _ready_admin(port: int) -> bool:
    try:
        return _get(port, "/status", TOKEN)[0] == 200
    except OSError:
        return False


def _requests_counted(admin_port: int) -> int:
    text = _get(admin_port, "/metrics", TOKEN)[1].decode()
    return sum(int(float(value)) for value in REQUESTS_SERIES.findall(text))


def test_two_workers_share_the_port_and_their_metrics(workers: Workers) -> None:
    indexes = {
        json.loads(_get(workers.admin_port + i, "/status", TOKEN)[1])["config"]["worker"]
        for i in range(2)
    }
    assert indexes == {0, 1}
    assert len(workers.children()) == 2
    statuses = [post_bid(workers.port) for _ in range(200)]  # a new connection each
    assert set(statuses) <= {200, 204}
    _wait(lambda: _requests_counted(workers.admin_port) >= 200, 10, "200 requests counted")


def test_a_killed_worker_is_replaced_and_sigterm_stops_them_all(workers: Workers) -> None:
    first = workers.children()
    os.kill(first[0], signal.SIGKILL)
    _wait(lambda: len(set(workers.children()) - set(first)) == 1, 20, "a new worker")
    _wait(
        lambda: _ready_admin(workers.admin_port) and _ready_admin(workers.admin_port + 1),
        30,
        "both ready",
    )
    assert {post_bid(workers.port) for _ in range(20)} <= {200, 204}
    children = workers.children()
    workers.process.send_signal(signal.SIGTERM)
    assert workers.process.wait(60) == 0
    assert not [pid for pid in children if Path(f"/proc/{pid}").exists()]


def test_several_workers_need_redis_and_a_fixed_port() -> None:
    base = [sys.executable, "-m", "openbid", "serve", "--workers", "2"]
    no_redis = subprocess.run([*base, "--port", "9"], capture_output=True, text=True, check=False)
    assert no_redis.returncode == 2
    assert "--redis-url" in no_redis.stderr
    assert "Traceback" not in no_redis.stderr
    port_zero = subprocess.run(
        [*base, "--port", "0", "--redis-url", SHARED_REDIS_URL],
        capture_output=True,
        text=True,
        check=False,
    )
    assert port_zero.returncode == 2
    assert "--port" in port_zero.stderr
