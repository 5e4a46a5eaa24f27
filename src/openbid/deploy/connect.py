"""From command-line options to an open platform and what the verbs need beside it.

On ECS the config file may read SSM parameters itself, so it is rendered with AWS reachable at
the ``--region`` (or the environment's); the config's own ``region`` applies to everything
after. The local platform reads its state directory instead, renders revisions from version
labels, and brings its own Prometheus server for the analysis.
"""

import enum
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from openbid.deploy.aws import Aws
from openbid.deploy.config import DeployConfig, load_config
from openbid.deploy.dryrun import DryRunPlatform
from openbid.deploy.ecs import EcsPlatform
from openbid.deploy.local.layout import StateDir
from openbid.deploy.local.platform import LocalPlatform
from openbid.deploy.local.revisions import CONTAINER, local_definition
from openbid.deploy.local.settings import VersionSpec, load_versions
from openbid.deploy.platform import Platform
from openbid.deploy.render import render
from openbid.deploy.taskdef import TaskDefinition
from openbid.deploy.templating import Lookups


class PlatformName(enum.StrEnum):
    """Where the service runs."""

    ECS = "ecs"
    LOCAL = "local"


@dataclass(frozen=True)
class Session:
    """The loaded config, how to reach AWS, and the template lookups that go with them."""

    config: DeployConfig
    aws: Aws
    lookups: Lookups


@dataclass(frozen=True)
class Opened:
    """An open platform, how to render a revision of an image for it, and its surroundings."""

    platform: Platform
    render: Callable[[str], TaskDefinition]
    listener: str
    """What takes the traffic, for messages."""
    container: str
    aws: Aws
    prometheus_url: str | None = None
    """The Prometheus server the analysis reads, when the platform brings one."""
    local: LocalPlatform | None = None


def open_session(path: Path, region: str | None, endpoint_url: str | None) -> Session:
    """Load the config at ``path`` and settle on a region."""
    bootstrap = Aws(region=region, endpoint_url=endpoint_url)
    config = load_config(path, Lookups(bootstrap.read_parameter))
    aws = Aws(region=region or config.region, endpoint_url=endpoint_url)
    return Session(config, aws, Lookups(aws.read_parameter))


def open_platform(
    name: PlatformName, session: Session, console: Console, dry_run: bool = False
) -> Platform:
    """The ECS platform of ``session``, wrapped to change nothing when ``dry_run``."""
    aws = session.aws
    platform: Platform = EcsPlatform(session.config, aws.ecs(), aws.elbv2(), console)
    if dry_run:
        return DryRunPlatform(platform, console, session.config.container_port)
    return platform


def open_ecs(
    config: Path, region: str | None, endpoint_url: str | None, console: Console, dry_run: bool
) -> Opened:
    """The ECS service ``config`` describes."""
    session = open_session(config, region, endpoint_url)
    return Opened(
        platform=open_platform(PlatformName.ECS, session, console, dry_run),
        render=lambda image: render(session.config, image, session.lookups),
        listener=session.config.listener_arn,
        container=session.config.container,
        aws=session.aws,
    )


def open_local(state_dir: Path, aws: Aws, console: Console, dry_run: bool) -> Opened:
    """The local deployment in ``state_dir``."""
    local = LocalPlatform(StateDir.at(state_dir), console)
    settings = local.settings
    versions_file = Path(settings.versions_file) if settings.versions_file else None

    def render_local(image: str) -> TaskDefinition:
        spec = load_versions(versions_file).get(image, VersionSpec())
        return local_definition(settings.family, image, spec)

    platform: Platform = DryRunPlatform(local, console, 0) if dry_run else local
    return Opened(
        platform=platform,
        render=render_local,
        listener=f"the HAProxy frontend at 127.0.0.1:{settings.port}",
        container=CONTAINER,
        aws=aws,
        prometheus_url=settings.prometheus_url,
        local=local,
    )
