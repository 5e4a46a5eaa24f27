"""Throughput of `openbid serve --workers 2` against one worker: `python bench/workers_scaling.py`.

Both runs share one Redis key prefix scheme (``--redis-url``, as several workers require) and
the same wrk load: 64 keep-alive connections posting bench/request.json for ``--seconds``.
The goal (issue: multi-core) is 2 workers >= 1.8x one worker on a 2-core machine *with the load
generator elsewhere*. Here wrk runs on the same two cores: with one worker, wrk has a core of
its own; with two, wrk takes CPU from the workers, so the ratio printed is a lower bound.
"""

import argparse
import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from rich.console import Console

from bid_throughput import (
    HOST,
    REQUEST_FILE,
    WRK_SCRIPT,
    BenchError,
    free_port,
    parse_wrk_output,
    stop,
    wait_ready,
)

REDIS_URL = os.environ.get("OPENBID_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
CONNECTIONS = 64


@contextlib.contextmanager
def serving(workers: int, log: Path) -> Iterator[int]:
    """`openbid serve` with ``workers`` workers on a fresh port; the port."""
    port = free_port()
    prefix = f"openbid-bench-workers-{os.getpid()}-{workers}"
    command = [
        sys.executable, "-m", "openbid", "serve", "--host", HOST, "--port", str(port),
        "--workers", str(workers), "--redis-url", REDIS_URL, "--redis-prefix", prefix,
        "--events", "none", "--signing-keys", "bench:0123456789abcdef0123",
    ]  # fmt: skip
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        wait_ready(process, port)
        time.sleep(2.0 if workers > 1 else 0.5)  # every worker listening, not just the first
        yield port
    finally:
        stop(process)


def wrk(port: int, seconds: float) -> float:
    """Requests per second wrk reaches against ``port``."""
    env = {**os.environ, "OPENBID_BENCH_BODY": str(REQUEST_FILE)}
    done = subprocess.run(
        [
            "wrk", "-t2", f"-c{CONNECTIONS}", f"-d{round(seconds)}s", "-s", str(WRK_SCRIPT),
            f"http://{HOST}:{port}/openrtb2/bid",
        ],
        env=env, capture_output=True, text=True, timeout=seconds + 30, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise BenchError(f"wrk exited with {done.returncode}: {done.stderr[-1000:]}")
    return parse_wrk_output(done.stdout).rps


def main(argv: list[str] | None = None) -> int:
    """Measure one worker, then two; print both and the ratio."""
    parser = argparse.ArgumentParser(description="openbid: 2 workers against 1.")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=3, help="best of this many runs each")
    args = parser.parse_args(argv)
    console = Console()
    rates: dict[int, float] = {}
    scratch = Path(os.environ.get("TMPDIR", "/tmp"))
    for workers in (1, 2):
        with serving(workers, scratch / f"openbid-workers-{workers}.log") as port:
            wrk(port, 2)  # warm-up
            rates[workers] = max(wrk(port, args.seconds) for _ in range(args.rounds))
        console.print(f"{workers} worker(s): {rates[workers]:,.0f} req/s")
    console.print(
        f"2 workers / 1 worker: {rates[2] / rates[1]:.2f}x "
        f"({os.cpu_count()} CPUs, wrk on the same CPUs)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
