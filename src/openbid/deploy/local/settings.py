"""What ``openbid deploy local up`` fixes for the life of a local deployment, and the versions
file that says what each version label runs.

A version is a label (what ``--image`` names on ECS); by default every label runs the same
``openbid serve``. The versions file gives labels their own catalog, fault switch
(``OPENBID_FAULTS``, for bad-canary tests) or environment::

    v2-slow: {faults: "latency_ms=40"}
    v2-overbid: {catalog: overbid-catalog.yaml}   # relative to this file
    v2-debug: {env: {OPENBID_LOG_LEVEL: debug}}
"""

from pathlib import Path

import msgspec
import yaml

from openbid.deploy.config import Spec
from openbid.deploy.errors import ConfigError


class Waits(msgspec.Struct, kw_only=True):
    """How long each local wait may take, in seconds, and how often to look."""

    task_running: float = 60.0
    target_healthy: float = 30.0
    drained: float = 30.0
    interval: float = 0.2


class LocalSettings(msgspec.Struct, kw_only=True):
    """The local deployment's fixed settings."""

    port: int
    """HAProxy's frontend: where bid requests go."""
    prometheus_port: int
    stable_tasks: int
    admin_token: str
    signing_keys: str
    family: str = "openbid-local"
    versions_file: str | None = None
    serve_args: list[str] = msgspec.field(default_factory=list)
    """Extra ``openbid serve`` options for every task."""
    drain_seconds: float = 2.0
    metrics_interval: float = 0.5
    scrape_interval: float = 1.0
    waits: Waits = msgspec.field(default_factory=Waits)

    @property
    def bid_url(self) -> str:
        """The bid URL in front of every task."""
        return f"http://127.0.0.1:{self.port}/openrtb2/bid"

    @property
    def prometheus_url(self) -> str:
        """The local Prometheus server's HTTP API."""
        return f"http://127.0.0.1:{self.prometheus_port}"


class VersionSpec(Spec):
    """What one version label runs beyond the default ``openbid serve``."""

    catalog: str | None = None
    faults: str = ""
    env: dict[str, str] = msgspec.field(default_factory=dict)


def load_versions(path: Path | None) -> dict[str, VersionSpec]:
    """The versions file (none: every label runs the defaults), catalogs made absolute."""
    if path is None:
        return {}
    try:
        raw = yaml.safe_load(path.read_text())
    except OSError as error:
        raise ConfigError(f"cannot read {path}: {error.strerror or error}") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: not valid YAML: {error}") from None
    try:
        versions = msgspec.convert(raw or {}, dict[str, VersionSpec], strict=False)
    except msgspec.ValidationError as error:
        raise ConfigError(f"{path}: {error}") from None
    return {
        label: msgspec.structs.replace(
            spec, catalog=str((path.parent / spec.catalog).resolve()) if spec.catalog else None
        )
        for label, spec in versions.items()
    }
