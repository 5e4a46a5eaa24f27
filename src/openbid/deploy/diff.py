"""``openbid deploy diff``: how the rendered task definition differs from the live one.

Both sides are reduced to what registering would change (``taskdef.comparable``: request fields
only, defaults the API fills in removed, environment sorted), then shown as a unified diff.
Without ``--image`` the live bidder image is kept, so the diff shows configuration changes only.
"""

import difflib
import json

from rich.console import Console
from rich.text import Text

from openbid.deploy.config import DeployConfig
from openbid.deploy.errors import ConfigError
from openbid.deploy.platform import Platform, Revision
from openbid.deploy.taskdef import TaskDefinition, comparable, render_task_definition
from openbid.deploy.templating import Lookups


def diff_lines(live: TaskDefinition, rendered: TaskDefinition, live_name: str) -> list[str]:
    """The unified diff from ``live`` to ``rendered``, empty when registering changes nothing."""
    before = json.dumps(comparable(live), indent=2, sort_keys=True).splitlines()
    after = json.dumps(comparable(rendered), indent=2, sort_keys=True).splitlines()
    return list(
        difflib.unified_diff(before, after, fromfile=live_name, tofile="rendered", lineterm="")
    )


def diff(
    platform: Platform, config: DeployConfig, image: str | None, lookups: Lookups
) -> tuple[Revision, list[str]]:
    """The service's live revision and the diff from it to what would be rendered."""
    live = platform.revision(platform.service().revision)
    chosen = image or live.image(config.container)
    if chosen is None:
        raise ConfigError(f"{live.name} has no container {config.container!r}: pass --image")
    rendered = render_task_definition(config, chosen, lookups)
    return live, diff_lines(live.definition, rendered, live.name)


def print_diff(lines: list[str], console: Console) -> None:
    """The diff in colour: removals red, additions green."""
    for line in lines:
        style = ""
        if line.startswith(("---", "+++", "@@")):
            style = "cyan"
        elif line.startswith("-"):
            style = "red"
        elif line.startswith("+"):
            style = "green"
        console.print(Text(line, style=style))
