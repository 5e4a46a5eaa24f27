"""Bidder tasks: ``openbid serve`` processes, each with a record, a pid file and a log.

A task's record says its role (stable or canary), the revision it runs and its two ports; the
process is started with the revision's variables and ``OPENBID_DEPLOYMENT`` set to its role (the
``deployment`` label on its metrics); the fault switch comes from the revision only, never from
the environment the CLI runs in. Its notice URLs point at the task itself, so the wins and
spend of a canary are counted by the canary, as the analysis compares them.
"""

import enum
import os
import secrets
import socket
import sys
from pathlib import Path

import msgspec

from openbid.deploy.local import processes
from openbid.deploy.local.jsonfile import read_json, write_json
from openbid.deploy.local.layout import StateDir
from openbid.deploy.local.revisions import FAULTS_VARIABLE, environment_of, label_of
from openbid.deploy.local.settings import LocalSettings
from openbid.deploy.platform import Revision, Target, Task

LOOPBACK = "127.0.0.1"
DEPLOYMENT_VARIABLE = "OPENBID_DEPLOYMENT"
ARN_PREFIX = "local:task/"
STOP_SLACK = 5.0
"""Seconds past its drain a stopping task gets before it is killed."""


class Role(enum.StrEnum):
    """What a task is for."""

    STABLE = "stable"
    CANARY = "canary"


class TaskRecord(msgspec.Struct):
    """One bidder task as started."""

    id: str
    role: Role
    revision: str
    label: str
    port: int
    admin_port: int

    @property
    def target(self) -> Target:
        """Where HAProxy reaches it."""
        return Target(LOOPBACK, self.port)


def free_port() -> int:
    """A TCP port on loopback that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        port: int = probe.getsockname()[1]
        return port


def serve_command(settings: LocalSettings, record: TaskRecord) -> list[str]:
    """The ``openbid serve`` command line of a task."""
    return [
        sys.executable, "-m", "openbid", "serve",
        "--host", LOOPBACK, "--port", str(record.port),
        "--admin-port", str(record.admin_port),
        "--signing-keys", settings.signing_keys,
        "--metrics-interval", str(settings.metrics_interval),
        "--drain-seconds", str(settings.drain_seconds),
        "--events", "none",
        *settings.serve_args,
    ]  # fmt: skip


class TaskStore:
    """The tasks of a state directory: records, pid files, logs."""

    def __init__(self, state: StateDir, settings: LocalSettings) -> None:
        self._state = state
        self._settings = settings

    def _record_path(self, task_id: str) -> Path:
        return self._state.tasks / f"{task_id}.json"

    def pid_file(self, task_id: str) -> Path:
        """The task's pid file."""
        return self._state.tasks / f"{task_id}.pid"

    def log(self, task_id: str) -> Path:
        """The task's output."""
        return self._state.logs / f"{task_id}.log"

    def records(self) -> list[TaskRecord]:
        """Every task recorded (running or not), by id."""
        if not self._state.tasks.is_dir():
            return []
        paths = sorted(self._state.tasks.glob("*.json"))
        return [read_json(path, TaskRecord) for path in paths]

    def find(self, task_id: str) -> TaskRecord | None:
        """The record of ``task_id``, if there is one."""
        path = self._record_path(task_id)
        return read_json(path, TaskRecord) if path.is_file() else None

    def pid(self, record: TaskRecord) -> int | None:
        """The task's pid while its process runs."""
        return processes.running(self.pid_file(record.id))

    def start(self, role: Role, revision: Revision) -> TaskRecord:
        """Start a task of ``revision`` in ``role``."""
        record = TaskRecord(
            id=f"{role.value}-{secrets.token_hex(3)}",
            role=role,
            revision=revision.arn,
            label=label_of(revision),
            port=free_port(),
            admin_port=free_port(),
        )
        write_json(self._record_path(record.id), record)
        inherited = {k: v for k, v in os.environ.items() if k != FAULTS_VARIABLE}
        env = {
            **inherited,
            **environment_of(revision),
            DEPLOYMENT_VARIABLE: role.value,
            "OPENBID_ADMIN_TOKEN": self._settings.admin_token,
        }
        command = serve_command(self._settings, record)
        processes.spawn(command, env, self.log(record.id), self.pid_file(record.id))
        return record

    def stop(self, record: TaskRecord) -> None:
        """Stop the task's process (it drains) and forget it."""
        processes.stop(self.pid_file(record.id), self._settings.drain_seconds + STOP_SLACK)
        self.forget(record)

    def forget(self, record: TaskRecord) -> None:
        """Remove the task's record and pid file (its log stays)."""
        self._record_path(record.id).unlink(missing_ok=True)
        self.pid_file(record.id).unlink(missing_ok=True)

    def as_task(self, record: TaskRecord) -> Task:
        """The task as the deploy verbs see it."""
        alive = self.pid(record) is not None
        return Task(
            arn=f"{ARN_PREFIX}{record.id}",
            revision=record.revision,
            last_status="RUNNING" if alive else "STOPPED",
            desired_status="RUNNING",
            target=record.target if alive else None,
            health="UNKNOWN",
            stopped_reason="" if alive else f"exited: see {self.log(record.id)}",
        )

    def log_tail(self, task_id: str, lines: int = 5) -> str:
        """The last lines of a task's output, for messages."""
        try:
            text = self.log(task_id).read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.strip().splitlines()[-lines:])
