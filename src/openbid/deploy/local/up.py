"""``openbid deploy local up`` and ``down``: a local deployment started from nothing, and stopped.

``up`` writes the settings, HAProxy's and Prometheus's configs, starts both, registers the first
revision (the ``--image`` label) and rolls the stable tasks out to it the way a promotion does.
``down`` stops every process it started and leaves the files (logs included) for a look.
"""

import http.client
import os
import secrets
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console

from openbid.deploy.errors import ConfigError, ConflictError, DeployError, ToolMissingError
from openbid.deploy.local import processes
from openbid.deploy.local.haproxy import HaproxyRuntime, haproxy_config
from openbid.deploy.local.jsonfile import write_json
from openbid.deploy.local.layout import StateDir
from openbid.deploy.local.platform import LocalPlatform, ServiceFile, load_settings
from openbid.deploy.local.prometheus import prometheus_config, write_targets
from openbid.deploy.local.revisions import local_definition
from openbid.deploy.local.settings import LocalSettings, VersionSpec, load_versions
from openbid.deploy.local.tasks import TaskStore

START_SECONDS = 30.0
STOP_SECONDS = 10.0
SBIN = ("/usr/sbin", "/usr/local/sbin")


@dataclass(frozen=True)
class UpOptions:
    """What ``up`` is asked for."""

    image: str
    stable_tasks: int = 2
    port: int = 8080
    prometheus_port: int = 9090
    versions: Path | None = None
    serve_args: list[str] = field(default_factory=list)


def find_tool(name: str) -> str:
    """The path of a program the local platform runs (HAProxy lives in sbin)."""
    path = os.pathsep.join([os.environ.get("PATH", ""), *SBIN])
    found = shutil.which(name, path=path)
    if found is None:
        raise ToolMissingError(f"{name} is not installed: `make system-deps` installs it")
    return found


def _wait_until(check: Callable[[], bool], what: str, pid_file: Path, log: Path) -> None:
    """Until ``check()`` holds; a ``DeployError`` with the log's end if the process exits."""
    deadline = time.monotonic() + START_SECONDS
    while not check():
        if processes.running(pid_file) is None:
            tail = "\n".join(log.read_text(errors="replace").strip().splitlines()[-5:])
            raise DeployError(f"{what} exited at start; {log} ends:\n{tail}")
        if time.monotonic() > deadline:
            raise DeployError(f"{what} did not start in {START_SECONDS:g}s (see {log})")
        time.sleep(0.1)


def _haproxy_answers(runtime: HaproxyRuntime) -> bool:
    try:
        runtime.command("show info")
    except DeployError:
        return False
    return True


def _prometheus_ready(url: str) -> bool:
    host, _, port = url.removeprefix("http://").partition(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=1)
    try:
        conn.request("GET", "/-/ready")
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


def _clear(state: StateDir) -> None:
    """Remove what a previous deployment left, except its logs."""
    for directory in (state.tasks, state.revisions, state.prometheus_data):
        shutil.rmtree(directory, ignore_errors=True)
    for path in (state.settings, state.service, state.marks, state.traffic):
        path.unlink(missing_ok=True)


def _start_haproxy(state: StateDir, settings: LocalSettings) -> None:
    binary = find_tool("haproxy")
    state.haproxy_config.write_text(haproxy_config(settings, state.haproxy_socket))
    check = subprocess.run(
        [binary, "-c", "-q", "-f", str(state.haproxy_config)],
        capture_output=True,
        text=True,
        check=False,
    )
    if check.returncode != 0:
        raise ConfigError(f"HAProxy rejects {state.haproxy_config}: {check.stderr.strip()}")
    log = state.logs / "haproxy.log"
    command = [binary, "-db", "-f", str(state.haproxy_config)]
    processes.spawn(command, os.environ, log, state.haproxy_pid)
    runtime = HaproxyRuntime(state.haproxy_socket)
    _wait_until(lambda: _haproxy_answers(runtime), "HAProxy", state.haproxy_pid, log)


def _start_prometheus(state: StateDir, settings: LocalSettings) -> None:
    binary = find_tool("prometheus")
    write_targets(state.prometheus_targets, [])
    state.prometheus_config.write_text(
        prometheus_config(settings, state.token, state.prometheus_targets)
    )
    log = state.logs / "prometheus.log"
    command = [
        binary,
        f"--config.file={state.prometheus_config}",
        f"--storage.tsdb.path={state.prometheus_data}",
        f"--web.listen-address=127.0.0.1:{settings.prometheus_port}",
        "--storage.tsdb.retention.time=1d",
    ]
    processes.spawn(command, os.environ, log, state.prometheus_pid)
    url = settings.prometheus_url
    _wait_until(lambda: _prometheus_ready(url), "Prometheus", state.prometheus_pid, log)


def up(state: StateDir, options: UpOptions, console: Console) -> str:
    """Start a local deployment of ``options.image``; where it answers."""
    if processes.running(state.haproxy_pid) is not None:
        raise ConflictError(
            f"a local deployment runs in {state.root}: `openbid deploy local down` it first"
        )
    if state.settings.is_file():
        down(state, console)
    _clear(state)
    state.root.mkdir(parents=True, exist_ok=True)
    settings = LocalSettings(
        port=options.port,
        prometheus_port=options.prometheus_port,
        stable_tasks=options.stable_tasks,
        admin_token=secrets.token_urlsafe(24),
        signing_keys=f"local:{secrets.token_hex(16)}",
        versions_file=str(options.versions.resolve()) if options.versions else None,
        serve_args=list(options.serve_args),
    )
    versions = load_versions(options.versions)
    state.token.write_text(settings.admin_token)
    state.token.chmod(0o600)
    write_json(state.settings, settings)
    _start_haproxy(state, settings)
    _start_prometheus(state, settings)
    platform = LocalPlatform(state, console)
    spec = versions.get(options.image, VersionSpec())
    revision = platform.register_revision(
        local_definition(settings.family, options.image, spec), {}
    )
    write_json(state.service, ServiceFile(revision.arn))
    platform.wait_rollout(revision)
    return (
        f"local deployment up: {settings.stable_tasks} tasks of {options.image} "
        f"({revision.name}) behind {settings.bid_url}; Prometheus at {settings.prometheus_url}"
    )


def down(state: StateDir, console: Console) -> str:
    """Stop every process of the local deployment in ``state``."""
    settings = load_settings(state)
    tasks = TaskStore(state, settings)
    records = tasks.records()
    pid_files = [tasks.pid_file(r.id) for r in records]
    pid_files += [state.prometheus_pid, state.haproxy_pid]
    processes.stop_all(pid_files, settings.drain_seconds + STOP_SECONDS)
    for record in records:
        tasks.forget(record)
    console.print(f"logs are in {state.logs}")
    return f"local deployment in {state.root} stopped ({len(records)} tasks)"
