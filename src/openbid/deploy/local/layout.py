"""Where the local deployment keeps its state: one directory, one file per kind of fact."""

from dataclasses import dataclass
from pathlib import Path

DEFAULT_STATE_DIR = Path(".openbid-local")


@dataclass(frozen=True)
class StateDir:
    """The paths inside a local deployment's state directory."""

    root: Path

    @classmethod
    def at(cls, path: Path) -> "StateDir":
        """The state directory at ``path`` (made absolute, so children see the same paths)."""
        return cls(path.resolve())

    @property
    def settings(self) -> Path:
        """Ports, task count, secrets and serve options fixed at ``up``."""
        return self.root / "settings.json"

    @property
    def service(self) -> Path:
        """The revision the stable tasks should run."""
        return self.root / "service.json"

    @property
    def marks(self) -> Path:
        """The deploy marks (what tags on the ECS service hold)."""
        return self.root / "marks.json"

    @property
    def traffic(self) -> Path:
        """The canary pool's share of traffic."""
        return self.root / "traffic.json"

    @property
    def revisions(self) -> Path:
        """One JSON file per registered revision."""
        return self.root / "revisions"

    @property
    def tasks(self) -> Path:
        """One JSON record and one pid file per bidder task."""
        return self.root / "tasks"

    @property
    def logs(self) -> Path:
        """Every process's output."""
        return self.root / "logs"

    @property
    def token(self) -> Path:
        """The admin API token Prometheus scrapes with (mode 600)."""
        return self.root / "admin-token"

    @property
    def haproxy_config(self) -> Path:
        """The HAProxy configuration openbid writes."""
        return self.root / "haproxy.cfg"

    @property
    def haproxy_socket(self) -> Path:
        """HAProxy's runtime API (admin level)."""
        return self.root / "haproxy.sock"

    @property
    def haproxy_pid(self) -> Path:
        """HAProxy's pid file."""
        return self.root / "haproxy.pid"

    @property
    def prometheus_config(self) -> Path:
        """The Prometheus configuration openbid writes."""
        return self.root / "prometheus.yml"

    @property
    def prometheus_targets(self) -> Path:
        """The scrape targets (file service discovery), rewritten as tasks come and go."""
        return self.root / "prometheus-targets.json"

    @property
    def prometheus_data(self) -> Path:
        """Prometheus's storage."""
        return self.root / "prometheus-data"

    @property
    def prometheus_pid(self) -> Path:
        """Prometheus's pid file."""
        return self.root / "prometheus.pid"
