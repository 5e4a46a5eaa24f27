"""What the pacing end-to-end tests share: catalogs and traffic profiles written for the test,
a fleet of ``openbid serve`` processes on one Redis, ``openbid exchange run`` simulators as
child processes, a Redis server of the test's own (to stop and restart), and probes that read
the bidders' books in Redis while traffic runs."""

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import pytest
import redis

from openbid.exchange.bidder_process import LOOPBACK, BidderProcess, free_port

SHARED_REDIS_URL = os.environ.get("OPENBID_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
SIGNING_KEYS = "e2e:pacing-e2e-signing-secret-0001"
OPENBID = [sys.executable, "-m", "openbid"]
MICROS = 1_000_000


@contextlib.contextmanager
def redis_keys() -> Iterator[str]:
    """A key prefix of one's own in the shared test Redis (which must answer: the test fails,
    not skips, without it); its keys are deleted afterwards."""
    try:
        with redis.Redis.from_url(SHARED_REDIS_URL, socket_timeout=2) as client:
            client.ping()
    except redis.RedisError as error:
        pytest.fail(
            f"Redis is required at {SHARED_REDIS_URL} (set OPENBID_TEST_REDIS_URL to use another "
            f"server; CI starts one): {error}",
            pytrace=False,
        )
    prefix = f"openbid-e2e-{uuid.uuid4().hex[:12]}"
    try:
        yield prefix
    finally:
        with redis.Redis.from_url(SHARED_REDIS_URL, socket_timeout=5) as client:
            keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
            for start in range(0, len(keys), 500):
                client.delete(*keys[start : start + 500])


@pytest.fixture
def shared_prefix() -> Iterator[str]:
    """The test's own key prefix in the shared test Redis."""
    with redis_keys() as prefix:
        yield prefix


def creative(creative_id: str, advertiser: str) -> dict[str, Any]:
    """A 300x250 HTML banner (its markup gets the impression pixel and click redirect)."""
    return {
        "id": creative_id,
        "advertiser_id": advertiser,
        "type": "banner",
        "w": 300,
        "h": 250,
        "landing_url": f"https://{advertiser}.example/landing",
        "adomain": [f"{advertiser}.example"],
        "adm": f'<a href="https://{advertiser}.example/landing"><img src="x.png"></a>',
    }


def catalog(
    campaigns: Sequence[dict[str, Any]],
    line_items: Sequence[dict[str, Any]],
    timezone: str = "UTC",
) -> dict[str, Any]:
    """A catalog of one advertiser: the given campaigns and line items, one banner creative
    per line item (named ``cr-<line item>``)."""
    return {
        "currency": "USD",
        "advertisers": [
            {"id": "adv", "name": "Pacing test", "domains": ["adv.example"], "timezone": timezone}
        ],
        "campaigns": [{"advertiser_id": "adv", "name": c["id"], **c} for c in campaigns],
        "creatives": [creative(f"cr-{item['id']}", "adv") for item in line_items],
        "line_items": [
            {"name": item["id"], "creative_ids": [f"cr-{item['id']}"], **item}
            for item in line_items
        ],
    }


def profile(pool: int, *, app_share: float = 0.5, render_rate: float = 0.95) -> dict[str, Any]:
    """Simulator traffic of 300x250 banners only, in USD, first price, from ``pool`` users;
    ``app_share`` of the impressions are in apps (the rest on sites)."""
    site, app = round(1000 * (1 - app_share)), round(1000 * app_share)
    inventory = {name: weight for name, weight in (("site", site), ("app", app)) if weight}
    return {
        "placements": [
            {
                "name": "medium-rectangle",
                "weight": 1,
                "media": "banner",
                "sizes": ["300x250"],
                "inventory": inventory,
                "devicetypes": {"2": 1, "4": 1},
                "floor": {"share": 0.5, "median": 0.3, "sigma": 0.3},
            }
        ],
        "imps_per_request": {"1": 1},
        "floor_currencies": {"USD": 1},
        "currencies": {"": 1},
        "auction_types": {"1": 1},
        "tmax_ms": {"300": 1},
        "blocked_categories": {"": 1},
        "blocked_advertisers": {"": 1},
        "users": {"pool": pool, "zipf": 0.7, "anonymous": 0.02},
        "deals": {"share": 0.0, "private": 0.0, "offers": []},
        "render_rate": render_rate,
        "corpus": {"files": [], "share": 0.0},
    }


def write_json(path: Path, document: dict[str, Any]) -> Path:
    """Write ``document`` as JSON (catalogs and profiles may be JSON); ``path`` back."""
    path.write_text(json.dumps(document, indent=1))
    return path


class RedisServer:
    """A ``redis-server`` of the test's own on a free loopback port, without persistence: it can
    be killed (losing every key, as a Redis without persistence does) and started again on the
    same port."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.url = f"redis://{LOOPBACK}:{self.port}/0"
        self._workdir = workdir
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> Self:
        """Start the server and wait until it answers PING."""
        args = ["redis-server", "--bind", LOOPBACK, "--port", str(self.port), "--save", ""]
        args += ["--appendonly", "no", "--dir", str(self._workdir)]
        self._process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with redis.Redis.from_url(self.url, socket_timeout=0.5) as client:
                    client.ping()
                return self
            except redis.RedisError:
                time.sleep(0.05)
        raise TimeoutError(f"redis-server did not start on port {self.port}")

    def kill(self) -> None:
        """SIGKILL the server: its data is gone."""
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGKILL)
            self._process.wait(10)
        self._process = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.kill()


class Fleet:
    """``count`` ``openbid serve`` processes on one catalog and one Redis (``prefix``), started
    together; their logs are ``serve-N.log`` in ``logs``."""

    def __init__(
        self,
        count: int,
        catalog_path: Path,
        redis_url: str,
        prefix: str,
        logs: Path,
        extra: Sequence[str] = (),
    ) -> None:
        self.bidders = [
            BidderProcess(
                [
                    "--catalog", str(catalog_path), "--signing-keys", SIGNING_KEYS,
                    "--redis-url", redis_url, "--redis-prefix", prefix,
                    "--instance-id", f"bidder-{n}", "--reload-seconds", "0",
                    "--log-level", "warning", *extra,
                ],
                log_path=logs / f"serve-{n}.log",
            )
            for n in range(count)
        ]  # fmt: skip
        self.exit_codes: list[int | None] = []

    def stop(self) -> list[int | None]:
        """SIGTERM every bidder (once); their exit codes (0: alive until then, and a clean exit)."""
        if not self.exit_codes:
            with ThreadPoolExecutor(len(self.bidders)) as pool:
                self.exit_codes = list(pool.map(lambda bidder: bidder.stop(), self.bidders))
        return self.exit_codes

    def __enter__(self) -> Self:
        with ThreadPoolExecutor(len(self.bidders)) as pool:
            started = [pool.submit(bidder.start) for bidder in self.bidders]
        failures = [future.exception() for future in started if future.exception()]
        if failures:
            self.__exit__(None, None, None)
            raise RuntimeError(f"bidders did not start: {failures}")
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


class Simulation:
    """One ``openbid exchange run --json`` child process driving one bidder."""

    def __init__(
        self,
        bid_url: str,
        profile_path: Path,
        *,
        rate: float,
        duration: float,
        seed: int,
        shape: str = "constant",
        connections: int = 8,
    ) -> None:
        args = [
            *OPENBID, "exchange", "run", "--bidder", bid_url, "--profile", str(profile_path),
            "--rate", str(rate), "--duration", str(duration), "--shape", shape,
            "--seed", str(seed), "--connections", str(connections), "--json",
        ]  # fmt: skip
        self.timeout = duration + 60
        self._process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def report(self) -> dict[str, Any]:
        """Wait for the run to end; its JSON report."""
        out, err = self._process.communicate(timeout=self.timeout)
        if not out:
            raise RuntimeError(f"the simulator printed no report: {err.decode()[-2000:]}")
        report: dict[str, Any] = json.loads(out)
        return report

    def kill(self) -> None:
        """Stop it if it still runs (after a failed test)."""
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait()


def simulate(
    bid_urls: Sequence[str], profile_path: Path, *, rate: float, duration: float, **options: Any
) -> "Simulations":
    """One simulator per bidder, each at ``rate`` requests per second, with its own seed (the
    users come from the same pool, so every user meets several bidders)."""
    return Simulations(
        [
            Simulation(url, profile_path, rate=rate, duration=duration, seed=n + 1, **options)
            for n, url in enumerate(bid_urls)
        ]
    )


class Simulations:
    """Simulators running side by side; their reports at the end. As a context manager, any
    still running on the way out (a failed test) are killed."""

    def __init__(self, runs: list[Simulation]) -> None:
        self.runs = runs

    def reports(self) -> list[dict[str, Any]]:
        """Every run's report, once all have ended."""
        return [run.report() for run in self.runs]

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for run in self.runs:
            run.kill()


def total(reports: Sequence[dict[str, Any]], *path: str) -> float:
    """A figure summed over the simulators' reports (``path`` into each report; 0 if absent)."""
    result = 0.0
    for report in reports:
        value: Any = report
        for step in path:
            value = value.get(step, {}) if isinstance(value, dict) else {}
        result += value if isinstance(value, int | float) else 0
    return result


class Probe:
    """Reads Redis keys every ``interval`` seconds in a thread: (monotonic time, values) rows,
    None for an answer that did not come (a stopped Redis)."""

    def __init__(self, url: str, keys: Sequence[str], interval: float = 0.05) -> None:
        self._url = url
        self._keys = list(keys)
        self._interval = interval
        self.rows: list[tuple[float, list[int] | None]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        client = redis.Redis.from_url(self._url, socket_timeout=0.5, socket_connect_timeout=0.5)
        with client:
            while not self._stop.is_set():
                values: list[int] | None
                try:
                    values = [int(v or 0) for v in client.mget(self._keys)]
                except redis.RedisError:
                    values = None
                self.rows.append((time.monotonic(), values))
                self._stop.wait(self._interval)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(5)

    def value_at(self, at: float, column: int = 0) -> int:
        """The value read last before (monotonic) ``at``; 0 before the first read."""
        last = 0
        for when, values in self.rows:
            if when > at:
                break
            if values is not None:
                last = values[column]
        return last


def pacing_show(redis_url: str, prefix: str, *, as_json: bool) -> subprocess.CompletedProcess[str]:
    """``openbid pacing show`` as a child process."""
    args = [*OPENBID, "pacing", "show", "--redis-url", redis_url, "--redis-prefix", prefix]
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run(
        [*args, *(["--json"] if as_json else [])],
        capture_output=True,
        text=True,
        timeout=30,
        env=env,
        check=False,
    )


def cap_counts(redis_url: str, prefix: str, scope: str) -> dict[str, int]:
    """Impressions recorded per user in a capped scope (``l:ID`` or ``c:ID``)."""
    counts: dict[str, int] = {}
    with redis.Redis.from_url(redis_url, decode_responses=True, socket_timeout=5) as client:
        pattern = f"{prefix}:fc:{scope}:*"
        for key in client.scan_iter(match=pattern, count=1000):
            counts[key.rpartition(":")[2]] = int(client.zcard(key))
    return counts


def read_int(redis_url: str, key: str) -> int:
    """An integer key (0 when absent)."""
    with redis.Redis.from_url(redis_url, socket_timeout=5) as client:
        return int(client.get(key) or 0)


def wait_until(condition: Callable[[], bool], timeout: float, step: float = 0.1) -> bool:
    """Poll ``condition()`` until it is true or ``timeout`` seconds pass; its last value."""
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(step)
