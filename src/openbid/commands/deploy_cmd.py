"""``openbid deploy``: ship the bidder to ECS/Fargate as a canary, then promote or roll back.

Every verb reads the deploy's state from AWS first, so any of them can follow one that died
halfway; ``--dry-run`` on those that change things prints what they would do.

Exit codes: 0 done; 1 it could not be done (AWS refused, a wait failed or timed out, a canary in
the way, a tool missing); 2 what was asked is wrong (the config, the template, the task
definition, a resource the config names that does not exist, a target group not on the listener).
"""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from openbid.deploy.abort import abort as abort_canary
from openbid.deploy.aws import aws_errors
from openbid.deploy.canary import canary as start_canary
from openbid.deploy.config import DEFAULT_CONFIG
from openbid.deploy.connect import PlatformName, Session, open_platform, open_session
from openbid.deploy.diff import diff as diff_revision
from openbid.deploy.diff import print_diff
from openbid.deploy.errors import DeployError
from openbid.deploy.exec import exec_command
from openbid.deploy.platform import Mode, Platform
from openbid.deploy.promote import promote as promote_canary
from openbid.deploy.render import render as render_revision
from openbid.deploy.render import to_json
from openbid.deploy.rollback import rollback as roll_back
from openbid.deploy.status import as_json, print_status
from openbid.deploy.status import status as read_status

app = typer.Typer(
    help="Ship openbid to ECS/Fargate: render, diff, canary, promote, rollback, abort, status, "
    "exec.",
    no_args_is_help=True,
)

ConfigOption = Annotated[
    Path,
    typer.Option(
        "--config",
        "-c",
        envvar="OPENBID_DEPLOY_CONFIG",
        help="Deploy config (YAML; a template with env, must_env and ssm lookups).",
    ),
]
EndpointOption = Annotated[
    str | None,
    typer.Option(
        "--endpoint-url",
        envvar="AWS_ENDPOINT_URL",
        help="Send every AWS call here (e.g. a local moto server).",
        show_default=False,
    ),
]
RegionOption = Annotated[
    str | None,
    typer.Option(
        "--region",
        help="AWS region (default: the config's `region`, else AWS_REGION).",
        show_default=False,
    ),
]
PlatformOption = Annotated[PlatformName, typer.Option("--platform", help="Where the service runs.")]
DryRunOption = Annotated[
    bool, typer.Option("--dry-run", help="Read everything, change nothing; say what would change.")
]
ImageOption = Annotated[
    str,
    typer.Option(
        "--image",
        envvar="OPENBID_IMAGE",
        help="Image tag of the config's image_repository (or a sha256: digest, or a full image "
        "reference).",
    ),
]


def _console() -> Console:
    """Messages and progress go to stderr; what a verb produces goes to stdout."""
    return Console(stderr=True)


def _done(summary: str, console: Console, dry_run: bool) -> None:
    """The verb's outcome; a dry run says it changed nothing."""
    if dry_run:
        console.print(f"[yellow]dry run:[/] nothing changed; it would end with: {summary}")
    else:
        console.print(summary)


@contextmanager
def _readable_errors() -> Iterator[None]:
    """Deploy errors become a message and an exit code, never a traceback."""
    try:
        with aws_errors():
            yield
    except DeployError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(error.exit_code) from None


@contextmanager
def _platform(
    config: Path,
    endpoint_url: str | None,
    region: str | None,
    name: PlatformName,
    dry_run: bool = False,
) -> Iterator[tuple[Session, Platform, Console]]:
    """The session and platform the options describe, with readable errors inside."""
    console = _console()
    with _readable_errors():
        session = open_session(config, region, endpoint_url)
        yield session, open_platform(name, session, console, dry_run), console


@app.command("render")
def render(
    image: ImageOption,
    config: ConfigOption = DEFAULT_CONFIG,
    endpoint_url: EndpointOption = None,
    region: RegionOption = None,
) -> None:
    """Print the task definition a deploy of IMAGE would register, checked against botocore."""
    with _readable_errors():
        session = open_session(config, region, endpoint_url)
        definition = render_revision(session.config, image, session.lookups)
    typer.echo(to_json(definition))


@app.command("diff")
def diff(
    image: Annotated[
        str | None,
        typer.Option(
            "--image",
            envvar="OPENBID_IMAGE",
            help="Image tag to render (default: the live revision's image).",
            show_default=False,
        ),
    ] = None,
    config: ConfigOption = DEFAULT_CONFIG,
    endpoint_url: EndpointOption = None,
    region: RegionOption = None,
    platform: PlatformOption = PlatformName.ECS,
) -> None:
    """Show how the rendered task definition differs from the service's live one."""
    with _platform(config, endpoint_url, region, platform) as (session, opened, console):
        live, lines = diff_revision(opened, session.config, image, session.lookups)
        if not lines:
            console.print(f"no differences from {live.name}")
        print_diff(lines, Console())


@app.command("canary")
def canary(
    image: ImageOption,
    mode: Annotated[
        Mode,
        typer.Option(
            "--mode",
            help="weighted: the canary target group at --weight percent of the listener; task: "
            "the canary joins the service's target group (~1/(N+1) of traffic).",
        ),
    ] = Mode.WEIGHTED,
    weight: Annotated[
        int,
        typer.Option(min=1, max=50, help="Percent of traffic for the canary (weighted mode)."),
    ] = 5,
    dry_run: DryRunOption = False,
    config: ConfigOption = DEFAULT_CONFIG,
    endpoint_url: EndpointOption = None,
    region: RegionOption = None,
    platform: PlatformOption = PlatformName.ECS,
) -> None:
    """Start one task of IMAGE beside the service and give it a slice of traffic (resumable)."""
    with _platform(config, endpoint_url, region, platform, dry_run) as (session, opened, console):
        definition = render_revision(session.config, image, session.lookups)
        listener = session.config.listener_arn
        _done(start_canary(opened, definition, mode, weight, listener, console), console, dry_run)


@app.command("promote")
def promote(
    dry_run: DryRunOption = False,
    config: ConfigOption = DEFAULT_CONFIG,
    endpoint_url: EndpointOption = None,
    region: RegionOption = None,
    platform: PlatformOption = PlatformName.ECS,
) -> None:
    """Roll the service out to the canary's revision, wait until COMPLETED, remove the canary."""
    with _platform(config, endpoint_url, region, platform, dry_run) as (_, opened, console):
        _done(promote_canary(opened), console, dry_run)


@app.command("rollback")
def rollback(
    to: Annotated[
        str | None,
        typer.Option(
            "--to",
            help="Revision to return to: a number of the service's family, FAMILY:NUMBER or an "
            "ARN (default: the one before the canary, or before the last promotion).",
            show_default=False,
        ),
    ] = None,
    dry_run: DryRunOption = False,
    config: ConfigOption = DEFAULT_CONFIG,
    endpoint_url: EndpointOption = None,
    region: RegionOption = None,
    platform: PlatformOption = PlatformName.ECS,
) -> None:
    """Remove any canary and return the service to the previous (or named) revision."""
    with _platform(config, endpoint_url, region, platform, dry_run) as (_, opened, console):
        _done(roll_back(opened, to), console, dry_run)


@app.command("abort")
def abort(
    dry_run: DryRunOption = False,
    config: ConfigOption = DEFAULT_CONFIG,
    endpoint_url: EndpointOption = None,
    region: RegionOption = None,
    platform: PlatformOption = PlatformName.ECS,
) -> None:
    """Take the canary out of traffic and stop it; leave the service as it is."""
    with _platform(config, endpoint_url, region, platform, dry_run) as (_, opened, console):
        _done(abort_canary(opened), console, dry_run)


@app.command("status")
def status(
    as_json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    config: ConfigOption = DEFAULT_CONFIG,
    endpoint_url: EndpointOption = None,
    region: RegionOption = None,
    platform: PlatformOption = PlatformName.ECS,
) -> None:
    """Show revisions, deployments, the canary, listener weights, target health and next step."""
    with _platform(config, endpoint_url, region, platform) as (_, opened, _console):
        state = read_status(opened)
    if as_json_output:
        typer.echo(json.dumps(as_json(state), indent=2))
    else:
        print_status(state, Console())


@app.command("exec")
def exec_(
    command: Annotated[str, typer.Argument(help="Command to run.")] = "/bin/sh",
    container: Annotated[
        str | None,
        typer.Option(help="Container to run it in (default: the config's `container`)."),
    ] = None,
    task: Annotated[
        str | None, typer.Option(help="Task id or ARN (default: one of the service's tasks).")
    ] = None,
    in_canary: Annotated[
        bool, typer.Option("--canary", help="Exec into the canary task instead.")
    ] = False,
    config: ConfigOption = DEFAULT_CONFIG,
    endpoint_url: EndpointOption = None,
    region: RegionOption = None,
    platform: PlatformOption = PlatformName.ECS,
) -> None:
    """Open an interactive ECS Exec session in a running task (needs session-manager-plugin)."""
    with _platform(config, endpoint_url, region, platform) as (session, opened, _console):
        chosen = container or session.config.container
        code = exec_command(opened, task, in_canary, chosen, command)
    raise typer.Exit(code)
