"""Detached processes with pid files: start, tell whether one still runs, stop.

Processes start in their own session, so they outlive the CLI invocation that started them and
ignore its Ctrl-C. A pid file names a process only while that process started before the file
was written: a pid the kernel has since given to another process is not ours to signal.
"""

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

START_SLACK = 2.0
"""Seconds a process may seem to start after its pid file was written (clock granularity)."""
KILL_SECONDS = 5.0
"""How long a SIGKILLed process may take to be gone."""


def spawn(argv: Sequence[str], env: Mapping[str, str], log: Path, pid_file: Path) -> int:
    """Start ``argv`` detached, output appended to ``log``; write its pid file; its pid."""
    log.parent.mkdir(parents=True, exist_ok=True)
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        process = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=dict(env),
            start_new_session=True,
        )
    pid_file.write_text(f"{process.pid}\n")
    return process.pid


def _reap(pid: int) -> None:
    """Collect ``pid``'s exit status if it is a child of this process that has exited."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def _started_at(pid: int) -> float | None:
    """When ``pid`` started (epoch seconds), or None when it is gone or a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        uptime = float(Path("/proc/uptime").read_text().split()[0])
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()
    if fields[0] in ("Z", "X"):
        return None
    ticks = int(fields[19])
    return time.time() - uptime + ticks / os.sysconf("SC_CLK_TCK")


def running(pid_file: Path) -> int | None:
    """The pid in ``pid_file`` if that process still runs."""
    try:
        text = pid_file.read_text().strip()
        written = pid_file.stat().st_mtime
    except OSError:
        return None
    if not text.isdigit():
        return None
    pid = int(text)
    _reap(pid)
    started = _started_at(pid)
    if started is None or started > written + START_SLACK:
        return None
    return pid


def _wait_gone(pid_files: Sequence[Path], seconds: float) -> list[Path]:
    """Wait up to ``seconds`` for the processes to end; the pid files of those still running."""
    deadline = time.monotonic() + seconds
    left = [p for p in pid_files if running(p) is not None]
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = [p for p in left if running(p) is not None]
    return left


def _signal(pid_files: Sequence[Path], sig: signal.Signals) -> None:
    for pid_file in pid_files:
        pid = running(pid_file)
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)


def stop_all(pid_files: Sequence[Path], grace: float) -> None:
    """SIGTERM every process, SIGKILL those still there after ``grace`` seconds; remove the pid
    files."""
    _signal(pid_files, signal.SIGTERM)
    left = _wait_gone(pid_files, grace)
    _signal(left, signal.SIGKILL)
    _wait_gone(left, KILL_SECONDS)
    for pid_file in pid_files:
        pid_file.unlink(missing_ok=True)


def stop(pid_file: Path, grace: float) -> None:
    """SIGTERM the process, SIGKILL it after ``grace`` seconds; then remove the pid file."""
    stop_all([pid_file], grace)
