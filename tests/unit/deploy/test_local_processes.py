"""Detached processes with pid files: a pid names our process only while it runs."""

import os
import sys
import time
from pathlib import Path

from openbid.deploy.local import processes

SLEEPER = [sys.executable, "-c", "import time; time.sleep(60)"]


def test_a_spawned_process_runs_until_stopped(tmp_path: Path) -> None:
    pid_file = tmp_path / "p.pid"
    pid = processes.spawn(SLEEPER, os.environ, tmp_path / "p.log", pid_file)
    try:
        assert processes.running(pid_file) == pid
        processes.stop(pid_file, grace=5)
        assert processes.running(pid_file) is None
        assert not pid_file.exists()
    finally:
        processes.stop_all([pid_file], grace=0)


def test_a_pid_file_older_than_its_process_is_not_ours(tmp_path: Path) -> None:
    pid_file = tmp_path / "p.pid"
    processes.spawn(SLEEPER, os.environ, tmp_path / "p.log", pid_file)
    try:
        written = time.time() - 3600
        os.utime(pid_file, (written, written))
        assert processes.running(pid_file) is None
    finally:
        os.utime(pid_file)
        processes.stop_all([pid_file], grace=0)


def test_missing_or_garbage_pid_files_name_no_process(tmp_path: Path) -> None:
    assert processes.running(tmp_path / "none.pid") is None
    garbage = tmp_path / "garbage.pid"
    garbage.write_text("not a pid\n")
    assert processes.running(garbage) is None
    processes.stop(garbage, grace=0)
    assert not garbage.exists()
