"""The local deployment's processes, for ``openbid deploy status --platform local``."""

from dataclasses import asdict, dataclass
from typing import Any

from rich.console import Console
from rich.table import Table

from openbid.deploy.local import processes
from openbid.deploy.local.platform import LocalPlatform


@dataclass(frozen=True)
class ProcessRow:
    """One process the local deployment started."""

    name: str
    role: str
    version: str
    pid: int | None
    address: str
    log: str

    @property
    def state(self) -> str:
        """Running or exited."""
        return "running" if self.pid is not None else "exited"


def process_rows(platform: LocalPlatform) -> list[ProcessRow]:
    """HAProxy, Prometheus and every task, with their pids (None once exited)."""
    state, settings, tasks = platform.state, platform.settings, platform.tasks
    rows = [
        ProcessRow(
            "haproxy",
            "balancer",
            "-",
            processes.running(state.haproxy_pid),
            f"127.0.0.1:{settings.port}",
            str(state.logs / "haproxy.log"),
        ),
        ProcessRow(
            "prometheus",
            "metrics",
            "-",
            processes.running(state.prometheus_pid),
            f"127.0.0.1:{settings.prometheus_port}",
            str(state.logs / "prometheus.log"),
        ),
    ]
    for record in tasks.records():
        rows.append(
            ProcessRow(
                record.id,
                record.role.value,
                record.label,
                tasks.pid(record),
                f"{record.target}, admin {record.admin_port}",
                str(tasks.log(record.id)),
            )
        )
    return rows


def rows_as_json(rows: list[ProcessRow]) -> list[dict[str, Any]]:
    """The rows as plain data."""
    return [{**asdict(row), "state": row.state} for row in rows]


def print_processes(rows: list[ProcessRow], console: Console) -> None:
    """The rows as a table."""
    table = Table(title="local processes")
    for column in ("process", "role", "version", "pid", "address", "state"):
        table.add_column(column)
    for row in rows:
        table.add_row(row.name, row.role, row.version, str(row.pid or "-"), row.address, row.state)
    console.print(table)
