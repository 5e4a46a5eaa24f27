"""Bid throughput: ``openbid serve`` against two baselines, loaded by wrk in the same run.

Each server runs alone, pinned to CPU 0, and is loaded by one wrk thread pinned to CPU 1 with
keep-alive POSTs of ``bench/request.json`` (compacted, about 1.7 KB):

* ``openbid``: ``openbid serve`` (one process) with the demo catalog grown to 1,000 line items;
* ``echo``: ``bench/echo_bidder.py``, uvloop + httptools + msgspec and no bidding logic;
* ``fastapi``: ``bench/fastapi_bidder.py``, FastAPI + pydantic v2 run by uvicorn.

Then openbid alone is loaded at 70% of its own measured maximum (exponential pauses per
connection, calibrated to the target rate) for its p99 latency there. Goals: openbid at least
0.5x the echo bidder and 4x FastAPI, and p99 under 2 ms at 70% load. Exits 1 when a server fails
to start or answers anything but 2xx; missing a goal only prints FAIL.
"""

import argparse
import contextlib
import http.client
import json
import math
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import msgspec
from rich.console import Console
from rich.table import Table

from grow_catalog import eligible_line_items, write_catalog

BENCH_DIR = Path(__file__).resolve().parent
REQUEST_FILE = BENCH_DIR / "request.json"
WRK_SCRIPT = BENCH_DIR / "post.lua"
BID_PATH = "/openrtb2/bid"
READY_PATH = "/readyz"
HOST = "127.0.0.1"
SERVER_CPU = "0"
LOAD_CPU = "1"
RESULT_PREFIX = "OPENBID_BENCH "

ECHO_RATIO_GOAL = 0.5
FASTAPI_RATIO_GOAL = 4.0
LOAD_FRACTION = 0.7
P99_GOAL_MS = 2.0
RATE_TOLERANCE = 0.05  # the 70% run counts only if its achieved rate is this close to target
CALIBRATION_TOLERANCE = 0.02
CALIBRATION_STEPS = 6
MEAN_CYCLE_S = 0.015  # per-connection request spacing of the 70% run: pauses dominate
WRK_TIMEOUT = "2s"  # a request unanswered this long counts as a wrk timeout error
READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0


def make_console(stderr: bool) -> Console:
    """A console that does not wrap the tables at 80 columns when output is not a terminal."""
    stream = sys.stderr if stderr else sys.stdout
    return Console(stderr=stderr, width=None if stream.isatty() else 120)


console = make_console(stderr=True)


class BenchError(Exception):
    """A server did not start or did not serve correctly."""


@dataclass
class WrkResult:
    """What one wrk run measured."""

    requests: int
    duration_s: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    p999_ms: float
    max_ms: float
    statuses: dict[int, int]
    socket_errors: dict[str, int]

    @property
    def non_2xx(self) -> int:
        """Responses whose status is not 2xx."""
        return sum(n for code, n in self.statuses.items() if not 200 <= code < 300)

    @property
    def no_bids(self) -> int:
        """204 answers: served correctly, but no bid."""
        return self.statuses.get(204, 0)

    @property
    def errors(self) -> int:
        """Connect, read, write and timeout errors (non-2xx statuses are counted apart)."""
        return sum(n for kind, n in self.socket_errors.items() if kind != "status")


@dataclass
class RateRun:
    """The run at a fraction of the maximum: target and achieved rate, and its latency."""

    target_rps: float
    connections: int
    mean_delay_ms: float
    result: WrkResult

    @property
    def rate_error(self) -> float:
        """Achieved over target rate, minus one."""
        return self.result.rps / self.target_rps - 1


@dataclass
class ServerRun:
    """One server's outcome: its max-throughput result, or why it failed."""

    name: str
    command: list[str]
    result: WrkResult | None = None
    failure: str | None = None
    rate_run: RateRun | None = None
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Settings:
    """How long and how hard to load."""

    duration_s: float
    warmup_s: float
    calibration_s: float
    connections: int


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def parse_wrk_output(stdout: str) -> WrkResult:
    """The result line post.lua's ``done()`` prints, as a WrkResult."""
    for line in stdout.splitlines():
        if line.startswith(RESULT_PREFIX):
            raw: dict[str, Any] = json.loads(line.removeprefix(RESULT_PREFIX))
            break
    else:
        raise BenchError(f"wrk printed no result line:\n{stdout[-2000:]}")
    duration_s = raw["duration_us"] / 1e6
    return WrkResult(
        requests=raw["requests"],
        duration_s=duration_s,
        rps=raw["requests"] / duration_s if duration_s else 0.0,
        p50_ms=raw["p50_us"] / 1000,
        p90_ms=raw["p90_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        p999_ms=raw["p999_us"] / 1000,
        max_ms=raw["max_us"] / 1000,
        statuses={int(code): n for code, n in raw["statuses"].items()},
        socket_errors=raw["errors"],
    )


def run_wrk(
    port: int,
    body_file: Path,
    duration_s: float,
    connections: int,
    mean_delay_ms: float | None = None,
) -> WrkResult:
    """One wrk run against the bid endpoint, wrk pinned to the load CPU."""
    env = {**os.environ, "OPENBID_BENCH_BODY": str(body_file)}
    if mean_delay_ms is not None:
        env["OPENBID_BENCH_MEAN_DELAY_MS"] = f"{mean_delay_ms:.4f}"
    command = [
        "taskset", "-c", LOAD_CPU, "wrk", "-t1", f"-c{connections}",
        f"-d{max(1, round(duration_s))}s", f"--timeout={WRK_TIMEOUT}",
        "-s", str(WRK_SCRIPT), f"http://{HOST}:{port}{BID_PATH}",
    ]  # fmt: skip
    try:
        done = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=duration_s + 30, check=False
        )
    except subprocess.TimeoutExpired:
        raise BenchError(f"wrk did not finish within {duration_s + 30:.0f} s") from None
    if done.returncode != 0:
        raise BenchError(f"wrk exited with {done.returncode}:\n{done.stderr[-2000:]}")
    return parse_wrk_output(done.stdout)


def http_call(port: int, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
    """One HTTP request on a fresh connection: status and body."""
    conn = http.client.HTTPConnection(HOST, port, timeout=5)
    try:
        headers = {"Content-Type": "application/json", "x-openrtb-version": "2.6"}
        conn.request(method, path, body=body, headers=headers if body is not None else {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def wait_ready(process: subprocess.Popen[bytes], port: int, log_file: Path) -> None:
    """Poll GET /readyz until 200; fail if the process exits or the timeout passes."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"exited with {process.returncode} before ready:\n{tail(log_file)}")
        with contextlib.suppress(OSError, http.client.HTTPException):
            if http_call(port, "GET", READY_PATH)[0] == 200:
                return
        time.sleep(0.1)
    raise BenchError(f"not ready within {READY_TIMEOUT_S:.0f} s:\n{tail(log_file)}")


def check_bid(port: int, body: bytes) -> str:
    """POST the request once: it must be a 200 with a priced bid for imp 1. Returns a summary."""
    status, answer = http_call(port, "POST", BID_PATH, body)
    if status != 200:
        raise BenchError(f"expected 200 with a bid, got {status}: {answer[:300]!r}")
    try:
        bid = msgspec.json.decode(answer)["seatbid"][0]["bid"][0]
        price, impid = float(bid["price"]), bid["impid"]
    except (msgspec.DecodeError, KeyError, IndexError, TypeError, ValueError):
        raise BenchError(f"200 without a well-formed bid: {answer[:300]!r}") from None
    if price <= 0 or impid != "1":
        raise BenchError(f"bid with price {price} for imp {impid!r}, expected a price for imp 1")
    return f"bid {price} for imp 1 ({len(answer)} bytes)"


def tail(path: Path, lines: int = 20) -> str:
    """The last lines of a log file."""
    try:
        return "\n".join(path.read_text("utf-8", "replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server's process group, SIGKILL it if it outlives the timeout."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@contextlib.contextmanager
def running(command: list[str], port: int, log_file: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Start a server pinned to the server CPU, wait until ready, always stop it afterwards."""
    with log_file.open("wb") as log:
        process = subprocess.Popen(
            ["taskset", "-c", SERVER_CPU, *command],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped as a whole, never orphaned
        )
    try:
        wait_ready(process, port, log_file)
        yield process
    finally:
        stop(process)


def calibrate_rate(
    port: int, body_file: Path, target_rps: float, settings: Settings
) -> tuple[int, float]:
    """Connections and mean pause (ms) whose achieved rate is within 2% of ``target_rps``.

    A connection's cycle is its pause plus the response time; the pause is corrected by the
    gap between the cycle the target needs and the cycle each short run achieved.
    """
    connections = max(settings.connections, math.ceil(target_rps * MEAN_CYCLE_S))
    wanted_cycle_ms = connections / target_rps * 1000
    delay_ms = max(wanted_cycle_ms - 0.2, 0.1)
    for _ in range(CALIBRATION_STEPS):
        result = run_wrk(port, body_file, settings.calibration_s, connections, delay_ms)
        if result.rps <= 0:
            raise BenchError("no request completed during rate calibration")
        if abs(result.rps / target_rps - 1) <= CALIBRATION_TOLERANCE:
            break
        delay_ms = max(delay_ms + wanted_cycle_ms - connections / result.rps * 1000, 0.1)
    return connections, delay_ms


def rate_run(port: int, body_file: Path, max_rps: float, settings: Settings) -> RateRun:
    """Load at LOAD_FRACTION of ``max_rps``; recalibrate once if the long run drifts off target."""
    target = LOAD_FRACTION * max_rps
    connections, delay_ms = calibrate_rate(port, body_file, target, settings)
    run = RateRun(
        target,
        connections,
        delay_ms,
        run_wrk(port, body_file, settings.duration_s, connections, delay_ms),
    )
    if abs(run.rate_error) > RATE_TOLERANCE:
        delay_ms += connections / target * 1000 - connections / run.result.rps * 1000
        delay_ms = max(delay_ms, 0.1)
        result = run_wrk(port, body_file, settings.duration_s, connections, delay_ms)
        run = RateRun(target, connections, delay_ms, result)
    return run


def measure(run: ServerRun, port: int, body: bytes, body_file: Path, settings: Settings) -> None:
    """Check one bid, warm up, load at full speed, and (openbid) at 70% of that."""
    run.notes.append(check_bid(port, body))
    run_wrk(port, body_file, settings.warmup_s, settings.connections)
    result = run_wrk(port, body_file, settings.duration_s, settings.connections)
    run.result = result
    if result.requests == 0:
        raise BenchError("no request completed under load")
    if result.non_2xx or result.errors:
        raise BenchError(
            f"under load: statuses {result.statuses}, socket errors {result.socket_errors}"
        )
    if run.name == "openbid":
        rate = run.rate_run = rate_run(port, body_file, result.rps, settings)
        if rate.result.non_2xx or rate.result.errors:
            raise BenchError(
                f"at {LOAD_FRACTION:.0%} load: statuses {rate.result.statuses}, "
                f"socket errors {rate.result.socket_errors}"
            )


def server_commands(port: int, catalog: Path) -> dict[str, list[str]]:
    """The command line of each server, listening on ``port``."""
    python = sys.executable
    openbid = shutil.which("openbid", path=str(Path(python).parent)) or "openbid"
    return {
        "echo": [python, str(BENCH_DIR / "echo_bidder.py"), "--host", HOST, "--port", str(port)],
        "openbid": [
            openbid, "serve", "--host", HOST, "--port", str(port), "--catalog", str(catalog),
        ],
        "fastapi": [
            python, "-m", "uvicorn", "fastapi_bidder:app", "--app-dir", str(BENCH_DIR),
            "--host", HOST, "--port", str(port), "--workers", "1", "--loop", "uvloop",
            "--http", "httptools", "--no-access-log", "--log-level", "warning",
        ],
    }  # fmt: skip


def machine() -> dict[str, str]:
    """CPU model, core count, kernel and Python version of this machine."""
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.partition(":")[2].strip()
                break
    return {
        "cpu": model,
        "cores": str(os.cpu_count()),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "wrk": wrk_version(),
    }


def wrk_version() -> str:
    """The first words of ``wrk -v``."""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        out = subprocess.run(["wrk", "-v"], capture_output=True, text=True, timeout=5, check=False)
        return " ".join((out.stdout + out.stderr).split()[:2])
    return "unknown"


def busy_cpu_share(seconds: float = 1.0) -> float:
    """Share of all CPU time spent busy over ``seconds``: other load skews every figure."""

    def sample() -> tuple[int, int]:
        fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        idle = fields[3] + fields[4]
        return sum(fields), idle

    try:
        total0, idle0 = sample()
        time.sleep(seconds)
        total1, idle1 = sample()
    except (OSError, ValueError, IndexError):
        return 0.0
    total = total1 - total0
    return 1 - (idle1 - idle0) / total if total else 0.0


def verdict(ok: bool) -> str:
    """PASS or FAIL, coloured."""
    return "[green]PASS[/green]" if ok else "[red]FAIL[/red]"


def goals(runs: dict[str, ServerRun]) -> dict[str, Any]:
    """Ratios and the 70% run against the goals (None where a server failed)."""

    def rps(name: str) -> float | None:
        result = runs[name].result if name in runs else None
        return result.rps if result is not None and runs[name].failure is None else None

    openbid, echo, fastapi = rps("openbid"), rps("echo"), rps("fastapi")
    echo_ratio = openbid / echo if openbid and echo else None
    fastapi_ratio = openbid / fastapi if openbid and fastapi else None
    rate = runs["openbid"].rate_run if "openbid" in runs else None
    return {
        "openbid_vs_echo": echo_ratio,
        "openbid_vs_echo_pass": echo_ratio is not None and echo_ratio >= ECHO_RATIO_GOAL,
        "openbid_vs_fastapi": fastapi_ratio,
        "openbid_vs_fastapi_pass": fastapi_ratio is not None
        and fastapi_ratio >= FASTAPI_RATIO_GOAL,
        "load_70_target_rps": rate.target_rps if rate else None,
        "load_70_achieved_rps": rate.result.rps if rate else None,
        "load_70_rate_within_tolerance": rate is not None
        and abs(rate.rate_error) <= RATE_TOLERANCE,
        "load_70_p99_ms": rate.result.p99_ms if rate else None,
        "load_70_p99_pass": rate is not None
        and abs(rate.rate_error) <= RATE_TOLERANCE
        and rate.result.p99_ms < P99_GOAL_MS
        and not rate.result.non_2xx
        and not rate.result.errors,
    }


def print_report(
    out: Console, info: dict[str, str], catalog_note: str, runs: dict[str, ServerRun]
) -> None:
    """The results table, the ratios and the 70% run, with the machine."""
    out.print(
        f"[bold]machine[/bold]: {info['cpu']}, {info['cores']} cores, Linux {info['kernel']}, "
        f"Python {info['python']}, {info['wrk']}"
    )
    out.print(f"[bold]catalog[/bold]: {catalog_note}")
    table = Table(title="max throughput (wrk -t1, keep-alive, server on CPU 0, wrk on CPU 1)")
    for column in ("server", "req/s", "p50 ms", "p99 ms", "200", "204", "non-2xx", "errors"):
        table.add_column(column, justify="left" if column == "server" else "right")
    for run in runs.values():
        r = run.result
        if r is None:
            table.add_row(run.name, "[red]failed[/red]", "-", "-", "-", "-", "-", "-")
            continue
        table.add_row(
            run.name,
            f"{r.rps:,.0f}",
            f"{r.p50_ms:.2f}",
            f"{r.p99_ms:.2f}",
            f"{r.statuses.get(200, 0):,}",
            f"{r.no_bids:,}",
            f"[red]{r.non_2xx:,}[/red]" if r.non_2xx else "0",
            f"[red]{r.errors:,}[/red]" if r.errors else "0",
        )
    out.print(table)
    for run in runs.values():
        if run.failure:
            out.print(f"[red]{run.name} failed[/red]: {run.failure}")
    g = goals(runs)
    ratios = Table(title="goals")
    for column in ("measure", "value", "goal", "verdict"):
        ratios.add_column(column)
    echo_ratio, fastapi_ratio = g["openbid_vs_echo"], g["openbid_vs_fastapi"]
    ratios.add_row(
        "openbid / echo",
        f"{echo_ratio:.2f}x" if echo_ratio is not None else "-",
        f">= {ECHO_RATIO_GOAL}x",
        verdict(g["openbid_vs_echo_pass"]),
    )
    ratios.add_row(
        "openbid / fastapi",
        f"{fastapi_ratio:.2f}x" if fastapi_ratio is not None else "-",
        f">= {FASTAPI_RATIO_GOAL:g}x",
        verdict(g["openbid_vs_fastapi_pass"]),
    )
    rate = runs["openbid"].rate_run if "openbid" in runs else None
    if rate is not None:
        r = rate.result
        ratios.add_row(
            "openbid at 70% load: achieved rate",
            f"{r.rps:,.0f} req/s ({rate.rate_error:+.1%} of {rate.target_rps:,.0f})",
            f"within {RATE_TOLERANCE:.0%}",
            verdict(g["load_70_rate_within_tolerance"]),
        )
        ratios.add_row(
            "openbid at 70% load: p99",
            f"{r.p99_ms:.2f} ms (p50 {r.p50_ms:.2f}, p99.9 {r.p999_ms:.2f}, "
            f"non-2xx {r.non_2xx}, errors {r.errors})",
            f"< {P99_GOAL_MS:g} ms",
            verdict(g["load_70_p99_pass"]),
        )
        out.print(
            f"70% run: {rate.connections} connections, exponential pauses of mean "
            f"{rate.mean_delay_ms:.2f} ms"
        )
    else:
        ratios.add_row("openbid at 70% load: p99", "-", f"< {P99_GOAL_MS:g} ms", verdict(False))
    out.print(ratios)


def to_json(
    info: dict[str, str], catalog_note: str, runs: dict[str, ServerRun], settings: Settings
) -> str:
    """Every figure as one JSON document."""
    servers = {}
    for name, run in runs.items():
        entry = asdict(run)
        if run.result is not None:
            entry["result"]["non_2xx"] = run.result.non_2xx
        servers[name] = entry
    document = {
        "machine": info,
        "catalog": catalog_note,
        "settings": asdict(settings),
        "servers": servers,
        "goals": goals(runs),
    }
    return json.dumps(document, indent=2)


def parse_args(argv: list[str] | None) -> tuple[argparse.Namespace, Settings]:
    """Command-line options, and the load settings they imply."""
    parser = argparse.ArgumentParser(description="openbid bid throughput against two baselines.")
    parser.add_argument("--duration", type=float, default=10, help="seconds per measured run")
    parser.add_argument("--connections", type=int, default=64, help="wrk connections")
    parser.add_argument("--line-items", type=int, default=1000, help="catalog size for openbid")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--quick", action="store_true", help="short smoke run (2 s per run)")
    args = parser.parse_args(argv)
    if args.quick:
        settings = Settings(duration_s=2, warmup_s=1, calibration_s=1, connections=args.connections)
    else:
        settings = Settings(
            duration_s=args.duration,
            warmup_s=2,
            calibration_s=max(2.0, args.duration / 3),
            connections=args.connections,
        )
    return args, settings


def _terminate(signum: int, frame: FrameType | None) -> None:
    """SIGTERM unwinds like Ctrl-C, so that every server is stopped on the way out."""
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; 1 if a server failed to serve correctly, 0 otherwise."""
    args, settings = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    for tool in ("wrk", "taskset"):
        if shutil.which(tool) is None:
            console.print(f"[red]{tool} not found[/red]: run scripts/install-system-deps.sh")
            return 1
    info = machine()
    busy = busy_cpu_share()
    if busy > 0.1:
        console.print(f"[yellow]warning[/yellow]: the CPUs are {busy:.0%} busy before starting")
    body = msgspec.json.encode(msgspec.json.decode(REQUEST_FILE.read_bytes()))
    runs: dict[str, ServerRun] = {}
    with tempfile.TemporaryDirectory(prefix="openbid-bench-") as workdir:
        work = Path(workdir)
        body_file = work / "request.json"
        body_file.write_bytes(body)
        catalog_file = work / "catalog.yaml"
        catalog = write_catalog(catalog_file, args.line_items)
        eligible = eligible_line_items(catalog, body)
        catalog_note = (
            f"{len(catalog.line_items)} line items, {eligible} eligible for the request; "
            f"request {len(body)} bytes"
        )
        console.print(f"catalog: {catalog_note}")
        for name in ("echo", "openbid", "fastapi"):
            port = free_port()
            command = server_commands(port, catalog_file)[name]
            run = runs[name] = ServerRun(name, command)
            console.print(f"[bold]{name}[/bold]: {' '.join(command)}", soft_wrap=True)
            log_file = work / f"{name}.log"
            try:
                with running(command, port, log_file):
                    measure(run, port, body, body_file, settings)
            except BenchError as error:
                run.failure = str(error)
                console.print(f"[red]{name} failed[/red]: {error}")
            else:
                r = run.result
                assert r is not None
                console.print(f"  {r.rps:,.0f} req/s, p50 {r.p50_ms:.2f} ms, p99 {r.p99_ms:.2f} ms")
    if args.json:
        print(to_json(info, catalog_note, runs, settings))
    else:
        print_report(make_console(stderr=False), info, catalog_note, runs)
    return 1 if any(run.failure for run in runs.values()) else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        console.print("[yellow]interrupted[/yellow]: servers stopped")
        sys.exit(130)
