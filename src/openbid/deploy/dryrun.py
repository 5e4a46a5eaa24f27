"""``--dry-run``: a platform that reads for real and only says what it would change.

The verbs run unchanged on top of it, so a dry run walks the same steps a real run would; what
a step would create (a revision, a task, its address) is a placeholder, and waits return at once.
"""

from collections.abc import Mapping
from dataclasses import replace

from rich.console import Console

from openbid.deploy.platform import (
    Platform,
    Pool,
    Revision,
    Service,
    Target,
    Task,
    Traffic,
    short_revision,
)
from openbid.deploy.taskdef import TaskDefinition

PLACEHOLDER_TASK = "(new canary task)"
PLACEHOLDER_HOST = "(canary address)"


class DryRunPlatform:
    """``Platform`` that delegates reads to ``inner`` and prints the changes it would make."""

    def __init__(self, inner: Platform, console: Console, port: int) -> None:
        self._inner = inner
        self._console = console
        self._port = port

    def _would(self, what: str) -> None:
        self._console.print(f"[yellow]dry run:[/] would {what}", highlight=False)

    def service(self) -> Service:
        """The service, as it is."""
        return self._inner.service()

    def revision(self, ref: str) -> Revision:
        """A revision, as registered."""
        return self._inner.revision(ref)

    def latest_revision(self, family: str) -> Revision | None:
        """The latest revision, as registered."""
        return self._inner.latest_revision(family)

    def previous_revision(self, current: Revision) -> Revision | None:
        """The revision before ``current``, as registered."""
        return self._inner.previous_revision(current)

    def canary_tasks(self) -> tuple[Task, ...]:
        """The canary tasks, as they run."""
        return self._inner.canary_tasks()

    def service_tasks(self) -> tuple[Task, ...]:
        """The service's tasks, as they run."""
        return self._inner.service_tasks()

    def traffic(self) -> Traffic:
        """The traffic picture, as it is."""
        return self._inner.traffic()

    def register_revision(self, definition: TaskDefinition, tags: Mapping[str, str]) -> Revision:
        """Say so; a placeholder for the revision that would be registered."""
        family = str(definition.get("family"))
        latest = self._inner.latest_revision(family)
        number = latest.number + 1 if latest is not None else 1
        self._would(f"register task definition {family}:{number}")
        return Revision(f"(new) {family}:{number}", family, number, definition, dict(tags))

    def mark(self, marks: Mapping[str, str]) -> None:
        """Say so."""
        listed = ", ".join(f"{key}={short_revision(value)}" for key, value in marks.items())
        self._would(f"tag the service {listed}")

    def unmark(self, keys: list[str]) -> None:
        """Say so."""
        self._would(f"remove the service tags {', '.join(keys)}")

    def start_canary(self, revision: Revision) -> Task:
        """Say so; a placeholder for the task that would start."""
        self._would(f"start one canary task of {revision.name}")
        return Task(PLACEHOLDER_TASK, revision.arn, "PROVISIONING", "RUNNING", None)

    def register_target(self, pool: Pool, target: Target) -> None:
        """Say so."""
        self._would(f"register {target} in the {pool} target group")

    def deregister_target(self, pool: Pool, target: Target) -> None:
        """Say so."""
        self._would(f"deregister {target} from the {pool} target group")

    def set_canary_weight(self, weight: int) -> None:
        """Say so."""
        self._would(f"set the listener weights to stable {100 - weight}, canary {weight}")

    def update_service(self, revision: Revision) -> None:
        """Say so."""
        self._would(f"update the service to {revision.name}")

    def stop_task(self, task: Task, reason: str) -> None:
        """Say so."""
        self._would(f"stop task {task.id} ({reason})")

    def wait_task_running(self, task: Task) -> Task:
        """Say so; the task as if it ran."""
        self._would(f"wait for task {task.id} to run")
        target = task.target or Target(PLACEHOLDER_HOST, self._port)
        return replace(task, last_status="RUNNING", target=target)

    def wait_target_healthy(self, pool: Pool, target: Target) -> None:
        """Say so."""
        self._would(f"wait for {target} to be healthy in the {pool} target group")

    def wait_target_drained(self, pool: Pool, target: Target) -> None:
        """Say so."""
        self._would(f"wait for {target} to drain from the {pool} target group")

    def wait_rollout(self, revision: Revision) -> None:
        """Say so."""
        self._would(f"wait for the service's PRIMARY deployment of {revision.name} to complete")

    def exec(self, task: Task, container: str, command: str) -> int:
        """Say so."""
        self._would(f"run {command!r} in {container} of task {task.id}")
        return 0
