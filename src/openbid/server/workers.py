"""``openbid serve --workers N``: N bidder processes on one port (SO_REUSEPORT), one per core.

The supervisor starts each worker as its own ``openbid serve`` process (a fresh interpreter, so
nothing is shared by fork), restarts one that dies, and on SIGTERM/SIGINT passes the signal on
and waits for every worker to drain, killing those still running after ``stop_timeout``; a
second signal is passed on too, and cuts the workers' drains short. The workers have a process
group of their own, so that a Ctrl-C in a terminal reaches them once, through the supervisor.
The kernel spreads new connections over the workers' listening sockets.
"""

import ctypes
import ctypes.util
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

log = logging.getLogger("openbid.workers")

WORKER_ENV = "OPENBID_WORKER"  # the worker's index, 0-based, in each worker's environment
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child, before exec (Linux): SIGTERM when the supervisor dies, even by SIGKILL,
    so that no worker outlives it serving a port nobody watches."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass(frozen=True, slots=True)
class RestartPolicy:
    """When a dead worker is started again, and when the supervisor gives up."""

    delay: float = 1.0  # seconds before a restart
    window: float = 60.0  # seconds over which crashes are counted
    max_crashes: int = 5  # more crashes than this within the window: stop everything


@dataclass(slots=True)
class _Worker:
    index: int
    process: subprocess.Popen[bytes]
    crashes: list[float] = field(default_factory=list)


class WorkerSupervisor:
    """Runs and watches the worker processes of one ``openbid serve --workers N``."""

    def __init__(
        self,
        command: Sequence[str],
        count: int,
        env: Callable[[int], Mapping[str, str]] = lambda index: {},
        *,
        policy: RestartPolicy = RestartPolicy(),
        stop_timeout: float = 30.0,
        poll: float = 0.2,
    ) -> None:
        self._command = list(command)
        self._count = count
        self._env = env
        self._policy = policy
        self._stop_timeout = stop_timeout
        self._poll = poll
        self._signal = signal.SIGTERM
        self._received = 0  # stop signals received
        self._workers: list[_Worker] = []

    def _spawn(self, index: int) -> subprocess.Popen[bytes]:
        env = {**os.environ, **self._env(index), WORKER_ENV: str(index)}
        tie = _die_with_parent if sys.platform == "linux" else None
        return subprocess.Popen(
            self._command,
            env=env,
            preexec_fn=tie,  # noqa: PLW1509
            process_group=0,
        )

    def _on_signal(self, signum: int, frame: object) -> None:
        self._signal = signal.Signals(signum)
        self._received += 1

    def run(self) -> int:
        """Start the workers and watch them until told to stop; 0 after a clean stop, 1 when
        a worker kept crashing."""
        previous = {
            sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGTERM, signal.SIGINT)
        }
        try:
            self._workers = [_Worker(i, self._spawn(i)) for i in range(self._count)]
            log.info("started %d workers: %s", self._count, [w.process.pid for w in self._workers])
            failed = self._watch()
            self._stop_all()
            return 1 if failed else 0
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _watch(self) -> bool:
        """Restart workers that die until stopping; True when one crashed too often."""
        policy = self._policy
        while not self._received:
            time.sleep(self._poll)
            for worker in self._workers:
                code = worker.process.poll()
                if code is None or self._received:
                    continue
                now = time.monotonic()
                worker.crashes = [t for t in worker.crashes if now - t < policy.window] + [now]
                if len(worker.crashes) > policy.max_crashes:
                    log.error(
                        "worker %d exited %d times in %.0f s; stopping",
                        worker.index, len(worker.crashes), policy.window,
                    )  # fmt: skip
                    return True
                log.warning("worker %d exited with %s; restarting", worker.index, code)
                time.sleep(policy.delay)
                worker.process = self._spawn(worker.index)
        return False

    def _stop_all(self) -> None:
        """Pass the stop signal on, and any later one, wait for the drains, kill what is left."""
        deadline = time.monotonic() + self._stop_timeout
        passed = 0
        while alive := [worker for worker in self._workers if worker.process.poll() is None]:
            if passed < max(1, self._received):
                if passed:
                    log.warning("another %s: passing it on to the workers", self._signal.name)
                for worker in alive:
                    worker.process.send_signal(self._signal)
                passed = max(1, self._received)
            if time.monotonic() >= deadline:
                break
            time.sleep(self._poll)
        for worker in alive:
            log.warning(
                "worker %d still running after %.0f s; killing it",
                worker.index,
                self._stop_timeout,
            )
            worker.process.kill()
            worker.process.wait()
