"""What the deploy verbs need from a platform, and the plain data they get back.

The verbs (``canary``, ``promote``, ...) are written against ``Platform`` only; ``ecs`` implements
it on AWS (ECS service + ALB listener and target groups), and ``dryrun`` wraps any platform to
say what would change instead of changing it. A second platform (processes behind HAProxy)
implements the same methods.

Two pools take traffic: ``STABLE`` (the service's target group) and ``CANARY`` (a target group the
listener forwards a weighted share to). State that must survive a crash lives on the platform as
*marks* (on ECS: tags on the service), never only in this process.
"""

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from openbid.deploy.taskdef import TaskDefinition


class Pool(enum.StrEnum):
    """A set of targets behind the load balancer."""

    STABLE = "stable"
    CANARY = "canary"


class Mode(enum.StrEnum):
    """How a canary takes traffic: in the stable pool, or in its own pool at a listener weight."""

    TASK = "task"
    WEIGHTED = "weighted"

    @property
    def pool(self) -> Pool:
        """The pool a canary in this mode is registered in."""
        return Pool.STABLE if self is Mode.TASK else Pool.CANARY


@dataclass(frozen=True, order=True)
class Target:
    """An address the load balancer sends requests to."""

    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"

    @classmethod
    def parse(cls, text: str) -> "Target":
        """``HOST:PORT`` back into a target (as marks store it)."""
        host, _, port = text.rpartition(":")
        return cls(host, int(port))


@dataclass(frozen=True)
class TargetHealth:
    """A registered target and what the load balancer thinks of it."""

    target: Target
    state: str
    reason: str = ""

    @property
    def leaving(self) -> bool:
        """True while deregistration is under way (or done): nothing left to deregister."""
        return self.state in ("draining", "unused")


@dataclass(frozen=True)
class Revision:
    """One registered task definition revision."""

    arn: str
    family: str
    number: int
    definition: TaskDefinition
    tags: Mapping[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """``family:number``, as people say it."""
        return f"{self.family}:{self.number}"

    def image(self, container: str) -> str | None:
        """The image of the named container."""
        for item in self.definition.get("containerDefinitions", []):
            if item.get("name") == container:
                image = item.get("image")
                return str(image) if image else None
        return None


@dataclass(frozen=True)
class Deployment:
    """One of a service's deployments (PRIMARY is the one being rolled out or in place)."""

    id: str
    status: str
    revision: str
    rollout_state: str
    running: int
    desired: int
    reason: str = ""


@dataclass(frozen=True)
class Service:
    """The long-running service and its marks."""

    name: str
    arn: str
    revision: str
    desired: int
    running: int
    deployments: tuple[Deployment, ...]
    marks: Mapping[str, str]


@dataclass(frozen=True)
class Task:
    """A task (one canary, or one of the service's)."""

    arn: str
    revision: str
    last_status: str
    desired_status: str
    target: Target | None
    health: str = "UNKNOWN"
    stopped_reason: str = ""

    @property
    def id(self) -> str:
        """The last part of the ARN, as the console shows it."""
        return self.arn.rsplit("/", 1)[-1]

    @property
    def running(self) -> bool:
        """Running, and reachable at an address."""
        return self.last_status == "RUNNING" and self.target is not None


@dataclass(frozen=True)
class Traffic:
    """Who the listener forwards to, at what weights, and the health of each pool's targets."""

    stable_weight: int
    canary_weight: int
    stable_attached: bool
    canary_attached: bool
    stable: tuple[TargetHealth, ...]
    canary: tuple[TargetHealth, ...]

    def pool(self, pool: Pool) -> tuple[TargetHealth, ...]:
        """The targets registered in ``pool``."""
        return self.stable if pool is Pool.STABLE else self.canary

    def health(self, pool: Pool, target: Target) -> TargetHealth | None:
        """``target`` as registered in ``pool``, if it is."""
        return next((th for th in self.pool(pool) if th.target == target), None)


class Platform(Protocol):
    """The operations the deploy verbs call; each mutation is idempotent."""

    # What is there.
    def service(self) -> Service:
        """The service, its revision, deployments and marks."""

    def revision(self, ref: str) -> Revision:
        """A revision by ARN, ``family:number`` or family (its latest)."""

    def latest_revision(self, family: str) -> Revision | None:
        """The highest active revision of ``family``, if any."""

    def previous_revision(self, current: Revision) -> Revision | None:
        """The highest active revision of the same family below ``current``."""

    def canary_tasks(self) -> tuple[Task, ...]:
        """The canary tasks of this service that are running or on their way."""

    def service_tasks(self) -> tuple[Task, ...]:
        """The service's own running tasks."""

    def traffic(self) -> Traffic:
        """The listener's weights and each pool's targets."""

    # Changes.
    def register_revision(self, definition: TaskDefinition, tags: Mapping[str, str]) -> Revision:
        """Register ``definition`` as a new revision of its family."""

    def mark(self, marks: Mapping[str, str]) -> None:
        """Record deploy state on the service."""

    def unmark(self, keys: list[str]) -> None:
        """Forget deploy state recorded on the service."""

    def start_canary(self, revision: Revision) -> Task:
        """Start one canary task of ``revision`` where the service's tasks run."""

    def register_target(self, pool: Pool, target: Target) -> None:
        """Put ``target`` into ``pool``."""

    def deregister_target(self, pool: Pool, target: Target) -> None:
        """Take ``target`` out of ``pool`` (it drains)."""

    def set_canary_weight(self, weight: int) -> None:
        """Send ``weight`` percent of the listener's traffic to the canary pool."""

    def update_service(self, revision: Revision) -> None:
        """Roll the service out to ``revision``."""

    def stop_task(self, task: Task, reason: str) -> None:
        """Stop ``task``."""

    # Waits (each raises ``WaitFailedError`` when what it waits for goes wrong or times out).
    def wait_task_running(self, task: Task) -> Task:
        """Until ``task`` runs; the task as it is then (with its address)."""

    def wait_target_healthy(self, pool: Pool, target: Target) -> None:
        """Until the load balancer finds ``target`` healthy in ``pool``."""

    def wait_target_drained(self, pool: Pool, target: Target) -> None:
        """Until ``target`` has left ``pool`` (deregistration delay over)."""

    def wait_rollout(self, revision: Revision) -> None:
        """Until the service's PRIMARY deployment is ``revision`` and COMPLETED."""

    # Into a task.
    def exec(self, task: Task, container: str, command: str) -> int:
        """Run ``command`` interactively in ``container`` of ``task``; its exit code."""


def short_revision(arn: str) -> str:
    """``family:number`` for a task definition ARN, for messages; anything else as it is."""
    return arn.rsplit("/", 1)[-1] if ":task-definition/" in arn else arn
