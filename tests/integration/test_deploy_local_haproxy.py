"""The local platform's HAProxy driven through its runtime API: slots pointed at servers,
weights that split traffic by pool, draining and parking — against a real HAProxy."""

import http.client
import http.server
import os
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from openbid.deploy.local import processes
from openbid.deploy.local.haproxy import HaproxyRuntime, haproxy_config, pool_weights
from openbid.deploy.local.settings import LocalSettings
from openbid.deploy.local.tasks import free_port
from openbid.deploy.local.up import find_tool
from openbid.deploy.platform import Pool, Target

REQUESTS = 200


class NamedServer(http.server.ThreadingHTTPServer):
    """An HTTP server that knows its name."""

    def __init__(self, name: str) -> None:
        super().__init__(("127.0.0.1", 0), Named)
        self.name = name


class Named(http.server.BaseHTTPRequestHandler):
    """Answers every GET with the server's name (and /readyz with 200)."""

    server: NamedServer

    def do_GET(self) -> None:
        body = self.server.name.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def servers() -> Iterator[dict[str, Target]]:
    """Two named HTTP servers on loopback."""
    started: dict[str, NamedServer] = {}
    for name in ("stable", "canary"):
        server = NamedServer(name)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        started[name] = server
    yield {name: Target("127.0.0.1", s.server_address[1]) for name, s in started.items()}
    for server in started.values():
        server.shutdown()
        server.server_close()


@pytest.fixture
def haproxy(tmp_path: Path) -> Iterator[tuple[HaproxyRuntime, int]]:
    """A real HAProxy with the local platform's config; its runtime API and frontend port."""
    port = free_port()
    settings = LocalSettings(
        port=port, prometheus_port=1, stable_tasks=1, admin_token="t", signing_keys="k:v"
    )
    socket_path = Path("/tmp") / f"obh-{os.getpid()}-{port}.sock"
    config = tmp_path / "haproxy.cfg"
    config.write_text(haproxy_config(settings, socket_path))
    pid_file = tmp_path / "haproxy.pid"
    command = [find_tool("haproxy"), "-db", "-f", str(config)]
    processes.spawn(command, os.environ, tmp_path / "haproxy.log", pid_file)
    runtime = HaproxyRuntime(socket_path)
    try:
        deadline = time.monotonic() + 10
        while not socket_path.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        yield runtime, port
    finally:
        processes.stop(pid_file, grace=5)
        socket_path.unlink(missing_ok=True)


def _answers(port: int) -> Counter[str]:
    """Which server answered each of ``REQUESTS`` requests through the frontend."""
    seen: Counter[str] = Counter()
    for _ in range(REQUESTS):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            conn.request("GET", "/")
            seen[conn.getresponse().read().decode()] += 1
        finally:
            conn.close()
    return seen


def test_weights_split_traffic_and_a_drained_slot_takes_none(
    haproxy: tuple[HaproxyRuntime, int], servers: dict[str, Target]
) -> None:
    runtime, port = haproxy
    for pool in Pool:
        slot = next(s for s in runtime.slots() if s.pool is pool and s.parked)
        runtime.point(slot, servers[pool.value])
    slots = {s.pool: s for s in runtime.slots() if s.target is not None}
    assert {p: s.target for p, s in slots.items()} == {p: servers[p.value] for p in Pool}
    each_stable, each_canary = pool_weights(1, 1, 25)
    runtime.set_weight(slots[Pool.STABLE], each_stable)
    runtime.set_weight(slots[Pool.CANARY], each_canary)
    assert _answers(port) == Counter({"stable": 150, "canary": 50})

    runtime.drain(slots[Pool.CANARY])
    drained = next(s for s in runtime.slots() if s.name == slots[Pool.CANARY].name)
    assert not drained.taking_traffic
    health = drained.health()
    assert health is not None
    assert health.state == "draining"
    assert _answers(port) == Counter({"stable": REQUESTS})

    runtime.park(drained)
    parked = next(s for s in runtime.slots() if s.name == drained.name)
    assert parked.parked
    assert parked.target is None
