"""Runs ``openbid serve`` as a child process on a free loopback port, for demos and tests."""

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import IO

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        port: int = probe.getsockname()[1]
        return port


def is_ready(port: int) -> bool:
    """Whether a bidder on loopback ``port`` answers ``GET /readyz`` with 200."""
    conn = http.client.HTTPConnection(LOOPBACK, port, timeout=0.5)
    try:
        conn.request("GET", "/readyz")
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


class BidderProcess:
    """An ``openbid serve`` child: started and ready on enter, SIGTERMed (then killed) on exit."""

    def __init__(
        self,
        args: Sequence[str] = (),
        *,
        startup_timeout: float = 20.0,
        log_path: Path | None = None,
    ) -> None:
        self.port = free_port()
        self.url = f"http://{LOOPBACK}:{self.port}"
        self._args = [
            sys.executable, "-m", "openbid", "serve",
            "--host", LOOPBACK, "--port", str(self.port), *args,
        ]  # fmt: skip
        self._startup_timeout = startup_timeout
        self._log_path = log_path
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def bid_url(self) -> str:
        """Where bid requests go."""
        return f"{self.url}/openrtb2/bid"

    @property
    def pid(self) -> int:
        """The running process's id."""
        if self._process is None:
            raise RuntimeError("openbid serve is not started")
        return self._process.pid

    def start(self) -> "BidderProcess":
        """Start the process and wait until ``/readyz`` answers 200."""
        if self._log_path is not None:
            self._log = self._log_path.open("wb")
        output = self._log or subprocess.DEVNULL
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self._process = subprocess.Popen(self._args, stdout=output, stderr=output, env=env)
        deadline = time.monotonic() + self._startup_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"openbid serve exited with {self._process.returncode}")
            if is_ready(self.port):
                return self
            time.sleep(0.05)
        self.stop()
        raise TimeoutError(f"openbid serve not ready within {self._startup_timeout} s")

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM, wait up to ``timeout`` for a graceful exit, then SIGKILL; the exit code."""
        process = self._process
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None
        return process.returncode

    def __enter__(self) -> "BidderProcess":
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
