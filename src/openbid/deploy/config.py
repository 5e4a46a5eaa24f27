"""The deploy config file (``deploy.yaml``): which cluster, service, listener and template.

The file is itself a template (``{{ must_env("X") }}``, ``{{ ssm("/openbid/prod/x") }}``), so one
file serves every environment; ``values`` holds whatever the task definition template reads.
Subnets and security groups default to the service's own, so the canary lands where the
service's tasks do.
"""

from pathlib import Path
from typing import Any

import msgspec
import yaml

from openbid.deploy.errors import ConfigError
from openbid.deploy.templating import Lookups, render_template

DEFAULT_CONFIG = Path("deploy.yaml")


class Spec(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Base of the config structs: unknown keys are errors, so typos do not pass silently."""


class Waits(Spec):
    """How long each wait may take, in seconds, and how often to look."""

    task_running: float = 600.0
    target_healthy: float = 600.0
    rollout: float = 1800.0
    drained: float = 900.0
    interval: float = 5.0


class DeployConfig(Spec):
    """One service's deploy settings."""

    cluster: str
    service: str
    task_definition: str
    """The task definition template, relative to the config file (absolute once loaded)."""
    image_repository: str
    """Where ``--image TAG`` points: ``REPOSITORY:TAG``."""
    listener_arn: str
    canary_target_group_arn: str
    container: str = "bidder"
    """The container that takes traffic (and whose image ``diff`` keeps when none is given)."""
    container_port: int = 8080
    region: str | None = None
    subnets: list[str] | None = None
    security_groups: list[str] | None = None
    assign_public_ip: bool | None = None
    values: dict[str, Any] = msgspec.field(default_factory=dict)
    waits: Waits = msgspec.field(default_factory=Waits)


def load_config(path: Path, lookups: Lookups) -> DeployConfig:
    """Render, parse and check the config file; every mistake a ``ConfigError`` naming it."""
    if not path.is_file():
        raise ConfigError(
            f"no deploy config at {path} (give --config or set OPENBID_DEPLOY_CONFIG)"
        )
    text = render_template(path, {}, lookups)
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: not valid YAML: {error}") from None
    try:
        config = msgspec.convert(raw, DeployConfig, strict=False)
    except msgspec.ValidationError as error:
        raise ConfigError(f"{path}: {error}") from None
    template = path.parent / config.task_definition
    return msgspec.structs.replace(config, task_definition=str(template.resolve()))
