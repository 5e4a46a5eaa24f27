"""``openbid serve --workers N``: checks the options, then runs N copies of the same command
line under :class:`~openbid.server.workers.WorkerSupervisor`; each copy knows it is a worker by
its environment and listens with SO_REUSEPORT."""

import os
import sys
import tempfile

import typer

from openbid.commands.serve_observability import MULTIPROCESS_ENV
from openbid.server.workers import WORKER_ENV, WorkerSupervisor


def worker_index() -> int | None:
    """This process's worker index when started by a supervisor; None otherwise."""
    value = os.environ.get(WORKER_ENV)
    return None if value is None else int(value)


def check_workers(workers: int, port: int, redis_url: str | None) -> None:
    """Refuse combinations that cannot work with several workers."""
    if port == 0:
        raise typer.BadParameter(
            "several workers share one port: give --port a number, not 0", param_hint="--workers"
        )
    if redis_url is None:
        raise typer.BadParameter(
            "each worker is a bidder instance, and instances share budgets, notices and "
            "frequency caps only through Redis: give --redis-url",
            param_hint="--workers",
        )


def run_workers(workers: int, stop_timeout: float) -> int:
    """Run ``workers`` copies of this command line until SIGTERM; the supervisor's exit code.
    Their Prometheus metrics are shared (multiprocess mode) in a directory made for the run."""
    command = [sys.executable, "-m", "openbid", *sys.argv[1:]]
    with tempfile.TemporaryDirectory(prefix="openbid-metrics-") as metrics_dir:
        env = {MULTIPROCESS_ENV: os.environ.get(MULTIPROCESS_ENV) or metrics_dir}
        supervisor = WorkerSupervisor(
            command, workers, lambda index: env, stop_timeout=stop_timeout
        )
        return supervisor.run()
