"""``openbid deploy exec``: an interactive command in a running task, through ECS Exec.

The task is the one named by ``--task``, else the canary's (``--canary``), else the first of the
service's own. ECS Exec needs the AWS Session Manager plugin on this machine.
"""

from openbid.deploy.errors import ConflictError, MissingResourceError
from openbid.deploy.platform import Platform, Task


def choose_task(platform: Platform, task: str | None, canary: bool) -> Task:
    """The task to exec into."""
    if task is not None:
        found = [
            t
            for t in (*platform.canary_tasks(), *platform.service_tasks())
            if task in (t.id, t.arn)
        ]
        if not found:
            raise MissingResourceError(f"no running task {task!r} in the service or its canary")
        return found[0]
    tasks = platform.canary_tasks() if canary else platform.service_tasks()
    running = [t for t in tasks if t.last_status == "RUNNING"]
    if not running:
        raise ConflictError(f"no running {'canary' if canary else 'service'} task to exec into")
    return running[0]


def exec_command(
    platform: Platform, task: str | None, canary: bool, container: str, command: str
) -> int:
    """Run ``command`` in ``container`` of the chosen task; the command's exit code."""
    return platform.exec(choose_task(platform, task, canary), container, command)
