"""``openbid deploy``: ship the bidder to ECS/Fargate as a canary, then promote or roll back.

Every verb reads the deploy's state from AWS first, so any of them can follow one that died
halfway; ``--dry-run`` on those that change things prints what they would do. With
``--platform local`` the same verbs drive ``openbid serve`` processes behind HAProxy on this
machine (``openbid deploy local up`` starts them), their state in ``--state-dir``.

Exit codes: 0 done; 1 it could not be done (AWS refused, a wait failed or timed out, a canary in
the way, a tool missing, a metrics provider unreachable); 2 what was asked is wrong (the config,
the template, the task definition, a resource the config names that does not exist, a target
group not on the listener). ``analyze`` exits 0 only on a pass: 3 fail, 4 marginal,
5 inconclusive; ``canary --auto`` exits 3 when the analysis rolled the canary back.
"""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from openbid.deploy.abort import abort as abort_canary
from openbid.deploy.analysis.auto import ROLLED_BACK_EXIT, VERDICT_EXIT, Decision
from openbid.deploy.analysis.config import ProviderName
from openbid.deploy.analysis.durations import parse_duration
from openbid.deploy.analysis.notify import notify
from openbid.deploy.analysis.report import as_json as judgement_json
from openbid.deploy.analysis.report import print_judgement
from openbid.deploy.analyze import act_on, analyse_canary, analyze_once, notification, open_analysis
from openbid.deploy.aws import Aws, aws_errors
from openbid.deploy.canary import canary as start_canary
from openbid.deploy.config import DEFAULT_CONFIG
from openbid.deploy.connect import (
    Opened,
    PlatformName,
    open_ecs,
    open_local,
    open_platform,
    open_session,
)
from openbid.deploy.diff import diff as diff_revision
from openbid.deploy.diff import print_diff
from openbid.deploy.errors import DeployError
from openbid.deploy.exec import exec_command
from openbid.deploy.local.demo import run_demo
from openbid.deploy.local.layout import DEFAULT_STATE_DIR, StateDir
from openbid.deploy.local.up import UpOptions
from openbid.deploy.local.up import down as stop_local
from openbid.deploy.local.up import up as start_local
from openbid.deploy.local.view import print_processes, process_rows, rows_as_json
from openbid.deploy.platform import Mode, Platform, short_revision
from openbid.deploy.promote import promote as promote_canary
from openbid.deploy.render import render as render_revision
from openbid.deploy.render import to_json
from openbid.deploy.rollback import rollback as roll_back
from openbid.deploy.state import read_state
from openbid.deploy.status import as_json, print_status
from openbid.deploy.status import status as read_status

app = typer.Typer(
    help="Ship openbid to ECS/Fargate (or to processes on this machine, --platform local): "
    "render, diff, canary, analyze, promote, rollback, abort, status, exec.",
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
PlatformOption = Annotated[
    PlatformName,
    typer.Option(
        "--platform",
        envvar="OPENBID_DEPLOY_PLATFORM",
        help="Where the service runs: ECS, or processes behind HAProxy on this machine.",
    ),
]
StateDirOption = Annotated[
    Path,
    typer.Option(
        "--state-dir",
        envvar="OPENBID_LOCAL_STATE_DIR",
        help="The local deployment's state directory (--platform local).",
    ),
]
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


AnalysisOption = Annotated[
    Path | None,
    typer.Option(
        "--analysis",
        envvar="OPENBID_ANALYSIS_CONFIG",
        help="Canary analysis config (YAML; default: the packaged one, Prometheus on "
        "127.0.0.1:9090).",
        show_default=False,
    ),
]
ProviderOption = Annotated[
    ProviderName | None,
    typer.Option(
        "--provider",
        help="Read metrics from here (default: the analysis config's `provider`).",
        show_default=False,
    ),
]


def _seconds(value: str) -> float:
    """A duration option (``30s``, ``10m``, ``1h``) in seconds; a usage error if it is not one."""
    try:
        return parse_duration(value)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None


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
    state_dir: Path,
    dry_run: bool = False,
) -> Iterator[tuple[Opened, Console]]:
    """The platform the options describe, with readable errors inside."""
    console = _console()
    with _readable_errors():
        if name is PlatformName.LOCAL:
            opened = open_local(state_dir, Aws(region, endpoint_url), console, dry_run)
        else:
            opened = open_ecs(config, region, endpoint_url, console, dry_run)
        yield opened, console


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
    """Show how the rendered task definition differs from the service's live one (ECS)."""
    if platform is not PlatformName.ECS:
        raise typer.BadParameter("diff compares ECS task definitions", param_hint="--platform")
    console = _console()
    with _readable_errors():
        session = open_session(config, region, endpoint_url)
        opened = open_platform(platform, session, console)
        live, lines = diff_revision(opened, session.config, image, session.lookups)
        if not lines:
            console.print(f"no differences from {live.name}")
        print_diff(lines, Console())


@app.command("analyze")
def analyze(
    window: Annotated[
        float | None,
        typer.Option(
            "--window",
            parser=_seconds,
            metavar="DURATION",
            help="Look back this far (default: the analysis config's `window`).",
            show_default=False,
        ),
    ] = None,
    as_json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    analysis: AnalysisOption = None,
    provider: ProviderOption = None,
    endpoint_url: EndpointOption = None,
    region: RegionOption = None,
    platform: PlatformOption = PlatformName.ECS,
    state_dir: StateDirOption = DEFAULT_STATE_DIR,
) -> None:
    """Judge the canary's metrics against the baseline's once: exit 0 only on a pass (with
    --platform local, from the local deployment's Prometheus)."""
    with _readable_errors():
        aws = Aws(region, endpoint_url)
        prometheus_url = None
        if platform is PlatformName.LOCAL:
            prometheus_url = open_local(state_dir, aws, _console(), False).prometheus_url
        opened = open_analysis(analysis, provider, aws, prometheus_url)
        judgement = analyze_once(opened, window)
    if as_json_output:
        typer.echo(json.dumps(judgement_json(judgement), indent=2))
    else:
        print_judgement(judgement, Console())
    raise typer.Exit(VERDICT_EXIT[judgement.verdict])


def _analyse_live_canary(
    opened: Platform,
    analysis_path: Path | None,
    provider: ProviderName | None,
    aws: Aws,
    prometheus_url: str | None,
    duration: float,
    interval: float | None,
    auto: bool,
    notify_url: str | None,
    console: Console,
) -> int:
    """``canary --analyze``: judge at intervals, act on it with ``--auto``; the exit code."""
    state = read_state(opened)
    revision = short_revision(state.canary.revision) if state.canary else "(no canary)"
    analysis = open_analysis(analysis_path, provider, aws, prometheus_url)
    outcome = analyse_canary(analysis, duration, interval, console)
    print_judgement(outcome.judgement, console)
    done = act_on(opened, outcome) if auto else None
    if done is None:
        console.print(
            f"analysis of {revision}: {outcome.decision} ({outcome.reason}); without --auto the "
            "canary stays: `promote` or `rollback` it",
            highlight=False,
        )
    else:
        console.print(f"{done} — {outcome.reason}", highlight=False)
    if notify_url:
        failure = notify(notify_url, notification(outcome, revision, done))
        if failure:
            console.print(f"[yellow]warning:[/] notification not delivered: {failure}")
    if not auto:
        return VERDICT_EXIT[outcome.judgement.verdict]
    return 0 if outcome.decision is Decision.PROMOTE else ROLLED_BACK_EXIT


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
    analyze_for: Annotated[
        float | None,
        typer.Option(
            "--analyze",
            parser=_seconds,
            metavar="DURATION",
            help="Once the canary is live, judge it against the baseline at intervals for this "
            "long (e.g. 10m).",
            show_default=False,
        ),
    ] = None,
    auto: Annotated[
        bool,
        typer.Option(
            "--auto", help="With --analyze: promote on a pass, roll back on anything else."
        ),
    ] = False,
    interval: Annotated[
        float | None,
        typer.Option(
            "--interval",
            parser=_seconds,
            metavar="DURATION",
            help="Time between judgements (default: the analysis config's `interval`).",
            show_default=False,
        ),
    ] = None,
    notify_url: Annotated[
        str | None,
        typer.Option(
            "--notify",
            envvar="OPENBID_NOTIFY_URL",
            help="POST the analysis's decision and reason here as JSON.",
            show_default=False,
        ),
    ] = None,
    analysis: AnalysisOption = None,
    provider: ProviderOption = None,
    dry_run: DryRunOption = False,
    config: ConfigOption = DEFAULT_CONFIG,
    endpoint_url: EndpointOption = None,
    region: RegionOption = None,
    platform: PlatformOption = PlatformName.ECS,
    state_dir: StateDirOption = DEFAULT_STATE_DIR,
) -> None:
    """Start one task of IMAGE beside the service and give it a slice of traffic (resumable);
    with --analyze, judge it, and with --auto promote or roll it back. Locally, IMAGE is a
    version label (the versions file of `local up` says what it runs)."""
    if (auto or interval is not None) and analyze_for is None:
        raise typer.BadParameter("needs --analyze DURATION", param_hint="--auto/--interval")
    if analyze_for is not None and dry_run:
        raise typer.BadParameter("a dry run starts no canary to analyse", param_hint="--analyze")
    code = 0
    with _platform(config, endpoint_url, region, platform, state_dir, dry_run) as (
        opened,
        console,
    ):
        definition = opened.render(image)
        started = start_canary(opened.platform, definition, mode, weight, opened.listener, console)
        _done(started, console, dry_run)
        if analyze_for is not None:
            code = _analyse_live_canary(
                opened.platform,
                analysis,
                provider,
                opened.aws,
                opened.prometheus_url,
                analyze_for,
                interval,
                auto,
                notify_url,
                console,
            )
    raise typer.Exit(code)


@app.command("promote")
def promote(
    dry_run: DryRunOption = False,
    config: ConfigOption = DEFAULT_CONFIG,
    endpoint_url: EndpointOption = None,
    region: RegionOption = None,
    platform: PlatformOption = PlatformName.ECS,
    state_dir: StateDirOption = DEFAULT_STATE_DIR,
) -> None:
    """Roll the service out to the canary's revision, wait until COMPLETED, remove the canary."""
    with _platform(config, endpoint_url, region, platform, state_dir, dry_run) as (
        opened,
        console,
    ):
        _done(promote_canary(opened.platform), console, dry_run)


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
    state_dir: StateDirOption = DEFAULT_STATE_DIR,
) -> None:
    """Remove any canary and return the service to the previous (or named) revision."""
    with _platform(config, endpoint_url, region, platform, state_dir, dry_run) as (
        opened,
        console,
    ):
        _done(roll_back(opened.platform, to), console, dry_run)


@app.command("abort")
def abort(
    dry_run: DryRunOption = False,
    config: ConfigOption = DEFAULT_CONFIG,
    endpoint_url: EndpointOption = None,
    region: RegionOption = None,
    platform: PlatformOption = PlatformName.ECS,
    state_dir: StateDirOption = DEFAULT_STATE_DIR,
) -> None:
    """Take the canary out of traffic and stop it; leave the service as it is."""
    with _platform(config, endpoint_url, region, platform, state_dir, dry_run) as (
        opened,
        console,
    ):
        _done(abort_canary(opened.platform), console, dry_run)


@app.command("status")
def status(
    as_json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    config: ConfigOption = DEFAULT_CONFIG,
    endpoint_url: EndpointOption = None,
    region: RegionOption = None,
    platform: PlatformOption = PlatformName.ECS,
    state_dir: StateDirOption = DEFAULT_STATE_DIR,
) -> None:
    """Show revisions, deployments, the canary, listener weights, target health and next step
    (and, locally, every process)."""
    with _platform(config, endpoint_url, region, platform, state_dir) as (opened, _console):
        state = read_status(opened.platform)
        rows = process_rows(opened.local) if opened.local is not None else None
    if as_json_output:
        shown = as_json(state)
        if rows is not None:
            shown["processes"] = rows_as_json(rows)
        typer.echo(json.dumps(shown, indent=2))
    else:
        print_status(state, Console())
        if rows is not None:
            print_processes(rows, Console())


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
    state_dir: StateDirOption = DEFAULT_STATE_DIR,
) -> None:
    """Open an interactive ECS Exec session in a running task (needs session-manager-plugin);
    locally, run the command with the task's environment."""
    with _platform(config, endpoint_url, region, platform, state_dir) as (opened, _console):
        chosen = container or opened.container
        code = exec_command(opened.platform, task, in_canary, chosen, command)
    raise typer.Exit(code)


local_app = typer.Typer(
    help="Run the deploy loop on this machine: openbid serve tasks behind HAProxy, scraped by "
    "Prometheus; then use the deploy verbs with --platform local.",
    no_args_is_help=True,
)


@local_app.command("up")
def up(
    image: Annotated[
        str,
        typer.Option("--image", help="Version label the stable tasks run (see --versions)."),
    ] = "v1",
    tasks: Annotated[
        int, typer.Option("--tasks", min=1, max=8, help="Stable tasks (processes).")
    ] = 2,
    port: Annotated[
        int, typer.Option("--port", min=1, max=65535, help="HAProxy's bid port.")
    ] = 8080,
    prometheus_port: Annotated[
        int, typer.Option("--prometheus-port", min=1, max=65535, help="Prometheus's port.")
    ] = 9090,
    versions: Annotated[
        Path | None,
        typer.Option(
            "--versions",
            exists=True,
            dir_okay=False,
            help="YAML: what each version label runs ({catalog: FILE, faults: SPEC, env: {...}}); "
            "labels not in it run the defaults.",
            show_default=False,
        ),
    ] = None,
    serve_args: Annotated[
        list[str] | None,
        typer.Option(
            "--serve-arg",
            help="An extra `openbid serve` argument for every task (repeatable).",
            show_default=False,
        ),
    ] = None,
    state_dir: StateDirOption = DEFAULT_STATE_DIR,
) -> None:
    """Start HAProxy, Prometheus and TASKS stable tasks of IMAGE; print where they answer."""
    console = _console()
    options = UpOptions(image, tasks, port, prometheus_port, versions, serve_args or [])
    with _readable_errors():
        summary = start_local(StateDir.at(state_dir), options, console)
    console.print(summary, highlight=False)


@local_app.command("down")
def down(state_dir: StateDirOption = DEFAULT_STATE_DIR) -> None:
    """Stop every process of the local deployment (its files and logs stay)."""
    console = _console()
    with _readable_errors():
        summary = stop_local(StateDir.at(state_dir), console)
    console.print(summary, highlight=False)


@local_app.command("demo")
def demo(
    directory: Annotated[
        Path,
        typer.Option("--dir", help="Where the run's state, logs, report and chart go."),
    ] = Path("demo-deploy"),
) -> None:
    """The whole loop: stable up, traffic through HAProxy, a good canary promoted, a slow one
    rolled back by the analysis; then a PNG of canary against stable (exit 1 if either
    canary ended otherwise)."""
    console = _console()
    with _readable_errors():
        outcome = run_demo(directory, console)
    console.rule("demo done")
    for phase in outcome.phases:
        ending = "promoted" if phase.promoted else "rolled back"
        console.print(
            f"canary {phase.version}: {ending} after {phase.end - phase.start:.0f}s",
            highlight=False,
        )
    traffic = outcome.traffic
    if traffic:
        console.print(
            f"traffic: {traffic['requests']} requests through HAProxy, {traffic['bids']} bids, "
            f"errors {traffic['errors_by_status'] or 'none'}",
            highlight=False,
        )
    typer.echo(f"chart: {outcome.chart}")
    if not outcome.as_expected:
        typer.echo(
            "error: the good canary was not promoted or the bad one not rolled back", err=True
        )
        raise typer.Exit(1)


app.add_typer(local_app, name="local")
