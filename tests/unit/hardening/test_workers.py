"""The worker supervisor: starts N workers, restarts the dead, stops them all on SIGTERM."""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from openbid.server.workers import WORKER_ENV, RestartPolicy, WorkerSupervisor

# A stand-in worker: records "start <index> <pid>", then sleeps; on SIGTERM records "stop" and
# exits 0 — unless told to crash at once or to ignore SIGTERM.
WORKER = f"""
import os, signal, sys, time
log = open(sys.argv[1], "a", buffering=1)
index = os.environ["{WORKER_ENV}"]
mode = sys.argv[2]
log.write(f"start {{index}} {{os.getpid()}}\\n")
if mode == "crash":
    sys.exit(3)
if mode == "stubborn":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
else:
    signal.signal(signal.SIGTERM, lambda *_: (log.write(f"stop {{index}}\\n"), sys.exit(0)))
while True:
    time.sleep(0.05)
"""

FAST = RestartPolicy(delay=0.05, window=60.0, max_crashes=3)


def _supervisor(
    tmp_path: Path, mode: str, count: int = 2, stop_timeout: float = 5.0
) -> tuple[WorkerSupervisor, Path]:
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    log = tmp_path / "log"
    command = [sys.executable, str(script), str(log), mode]
    return WorkerSupervisor(command, count, policy=FAST, stop_timeout=stop_timeout, poll=0.02), log


def _lines(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


def _sigterm_when(log: Path, starts: int) -> threading.Thread:
    """SIGTERM this process (the supervisor's) once ``starts`` workers have started."""

    def wait_then_signal() -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if sum(line.startswith("start") for line in _lines(log)) >= starts:
                break
            time.sleep(0.02)
        time.sleep(0.2)
        os.kill(os.getpid(), signal.SIGTERM)

    thread = threading.Thread(target=wait_then_signal, daemon=True)
    thread.start()
    return thread


def test_workers_start_with_their_index_and_stop_on_sigterm(tmp_path: Path) -> None:
    supervisor, log = _supervisor(tmp_path, "sleep", count=3)
    _sigterm_when(log, starts=3)
    assert supervisor.run() == 0
    lines = _lines(log)
    assert sorted(line.split()[1] for line in lines if line.startswith("start")) == ["0", "1", "2"]
    assert sorted(lines[3:]) == ["stop 0", "stop 1", "stop 2"]


def test_a_worker_that_keeps_crashing_stops_the_supervisor(tmp_path: Path) -> None:
    supervisor, log = _supervisor(tmp_path, "crash", count=1)
    assert supervisor.run() == 1
    assert len(_lines(log)) == FAST.max_crashes + 1, "started, then restarted after each crash"


def test_a_worker_ignoring_sigterm_is_killed_after_the_stop_timeout(tmp_path: Path) -> None:
    supervisor, log = _supervisor(tmp_path, "stubborn", count=1, stop_timeout=0.5)
    _sigterm_when(log, starts=1)
    started = time.monotonic()
    assert supervisor.run() == 0
    assert 0.5 <= time.monotonic() - started < 10
    pid = int(_lines(log)[0].split()[2])
    assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text()


def test_workers_stop_when_the_supervisor_is_killed(tmp_path: Path) -> None:
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    log = tmp_path / "log"
    command = [sys.executable, str(script), str(log), "sleep"]
    supervise = (
        "import sys; from openbid.server.workers import WorkerSupervisor; "
        f"sys.exit(WorkerSupervisor({command!r}, 2).run())"
    )
    supervisor = subprocess.Popen([sys.executable, "-c", supervise])
    try:
        deadline = time.monotonic() + 20
        while sum(line.startswith("start") for line in _lines(log)) < 2:
            assert time.monotonic() < deadline, "workers did not start"
            time.sleep(0.05)
        pids = [int(line.split()[2]) for line in _lines(log)]
        supervisor.kill()
        supervisor.wait()
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in pids):
            assert time.monotonic() < deadline, "workers outlived their supervisor"
            time.sleep(0.05)
        assert sorted(_lines(log)[2:]) == ["stop 0", "stop 1"], "each got SIGTERM and drained"
    finally:
        if supervisor.poll() is None:
            supervisor.kill()


def _alive(pid: int) -> bool:
    status = Path(f"/proc/{pid}/status")
    try:
        return "zombie" not in status.read_text()
    except OSError:
        return False
