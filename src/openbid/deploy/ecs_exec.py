"""ECS Exec: an interactive command in a container, through the AWS Session Manager plugin.

``ExecuteCommand`` opens the session; the plugin carries the terminal, called the way the AWS
CLI calls it (its session passed in an environment variable by plugins new enough to read one,
so the token stays out of the process list; Ctrl-C left to the session).
"""

import json
import os
import re
import shutil
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from openbid.deploy.aws import aws_errors
from openbid.deploy.errors import ConfigError, ToolMissingError
from openbid.deploy.platform import Task

if TYPE_CHECKING:
    from mypy_boto3_ecs import ECSClient

PLUGIN = "session-manager-plugin"
PLUGIN_ENV_SINCE = (1, 2, 497, 0)
SESSION_VARIABLE = "AWS_SSM_START_SESSION_RESPONSE"


def plugin_path() -> str:
    """Where the plugin is; ``ToolMissingError`` saying how to get it when it is nowhere."""
    plugin = shutil.which(PLUGIN)
    if plugin is None:
        raise ToolMissingError(
            f"`deploy exec` needs the AWS Session Manager plugin ({PLUGIN}) on PATH; install "
            "it (AWS docs: 'Install the Session Manager plugin for the AWS CLI') and retry"
        )
    return plugin


def _plugin_version(plugin: str) -> tuple[int, ...]:
    try:
        output = subprocess.run(
            [plugin, "--version"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return ()
    return tuple(int(part) for part in re.findall(r"\d+", output))


@contextmanager
def _ignoring_terminal_signals() -> Iterator[None]:
    """Leave Ctrl-C and friends to the plugin's session, as the AWS CLI does."""
    names = ("SIGINT", "SIGQUIT", "SIGTSTP")
    signals = [getattr(signal, name) for name in names if hasattr(signal, name)]
    previous = {number: signal.signal(number, signal.SIG_IGN) for number in signals}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def exec_in_task(ecs: "ECSClient", cluster: str, task: Task, container: str, command: str) -> int:
    """Run ``command`` in ``container`` of ``task``, interactively; the session's exit code."""
    plugin = plugin_path()
    with aws_errors(missing=f"no task {task.arn} in cluster {cluster!r}"):
        described = ecs.describe_tasks(cluster=cluster, tasks=[task.arn]).get("tasks", [])
        runtime = next(
            (
                c.get("runtimeId", "")
                for t in described
                for c in t.get("containers", [])
                if c.get("name") == container
            ),
            None,
        )
        if runtime is None:
            raise ConfigError(f"task {task.id} has no container named {container!r}")
        response = ecs.execute_command(
            cluster=cluster, task=task.arn, container=container, interactive=True, command=command
        )
    cluster_name = response.get("clusterArn", cluster).rsplit("/", 1)[-1]
    target = {"Target": f"ecs:{cluster_name}_{task.id}_{runtime}"}
    session = json.dumps(response["session"])
    environment = dict(os.environ)
    if _plugin_version(plugin) > PLUGIN_ENV_SINCE:
        environment[SESSION_VARIABLE] = session
        session = SESSION_VARIABLE
    arguments = [
        plugin,
        session,
        ecs.meta.region_name,
        "StartSession",
        os.environ.get("AWS_PROFILE", ""),
        json.dumps(target),
        ecs.meta.endpoint_url,
    ]
    with _ignoring_terminal_signals():
        return subprocess.call(arguments, env=environment)
