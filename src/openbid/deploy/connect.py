"""From command-line options to a loaded config and an open platform.

The config file may read SSM parameters itself, so it is rendered with AWS reachable at the
``--region`` (or the environment's); the config's own ``region`` applies to everything after.
"""

import enum
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from openbid.deploy.aws import Aws
from openbid.deploy.config import DeployConfig, load_config
from openbid.deploy.dryrun import DryRunPlatform
from openbid.deploy.ecs import EcsPlatform
from openbid.deploy.platform import Platform
from openbid.deploy.templating import Lookups


class PlatformName(enum.StrEnum):
    """Where the service runs."""

    ECS = "ecs"


@dataclass(frozen=True)
class Session:
    """The loaded config, how to reach AWS, and the template lookups that go with them."""

    config: DeployConfig
    aws: Aws
    lookups: Lookups


def open_session(path: Path, region: str | None, endpoint_url: str | None) -> Session:
    """Load the config at ``path`` and settle on a region."""
    bootstrap = Aws(region=region, endpoint_url=endpoint_url)
    config = load_config(path, Lookups(bootstrap.read_parameter))
    aws = Aws(region=region or config.region, endpoint_url=endpoint_url)
    return Session(config, aws, Lookups(aws.read_parameter))


def open_platform(
    name: PlatformName, session: Session, console: Console, dry_run: bool = False
) -> Platform:
    """The platform ``name``, wrapped to change nothing when ``dry_run``."""
    platform: Platform
    match name:
        case PlatformName.ECS:
            aws = session.aws
            platform = EcsPlatform(session.config, aws.ecs(), aws.elbv2(), console)
    if dry_run:
        return DryRunPlatform(platform, console, session.config.container_port)
    return platform
