"""The deploy's state, read back from the platform: marks on the service, canary tasks, traffic.

Nothing about a deploy in progress is kept in this process: every verb starts by reading the
state here, so a verb that died halfway is continued (or cleaned up) by the next one. Marks are
tags on the service:

- ``openbid:canary-revision``, ``-mode``, ``-weight``, ``-target`` and ``openbid:stable-revision``
  (what the service ran when the canary started) exist while a canary does;
- ``openbid:previous-revision`` is what the service ran before the last promotion;
- ``openbid:promoted-revision`` records a finished promotion, ``openbid:rollback-to`` a rollback
  under way, and ``openbid:rolled-back-from`` the revision the last rollback left.
"""

import enum
from dataclasses import dataclass

from openbid.deploy.errors import ConflictError
from openbid.deploy.platform import Mode, Platform, Service, Target, Task, Traffic


class Mark(enum.StrEnum):
    """The tags that hold deploy state on the service."""

    CANARY_REVISION = "openbid:canary-revision"
    CANARY_MODE = "openbid:canary-mode"
    CANARY_WEIGHT = "openbid:canary-weight"
    CANARY_TARGET = "openbid:canary-target"
    STABLE_REVISION = "openbid:stable-revision"
    PREVIOUS_REVISION = "openbid:previous-revision"
    PROMOTED_REVISION = "openbid:promoted-revision"
    ROLLBACK_TO = "openbid:rollback-to"
    ROLLED_BACK_FROM = "openbid:rolled-back-from"


CANARY_MARKS = (
    Mark.CANARY_REVISION,
    Mark.CANARY_MODE,
    Mark.CANARY_WEIGHT,
    Mark.CANARY_TARGET,
    Mark.STABLE_REVISION,
)


class Phase(enum.StrEnum):
    """Where a deploy stands."""

    IDLE = "idle"
    CANARY_STARTING = "canary starting"
    CANARY_LIVE = "canary live"
    PROMOTING = "promoting"
    ROLLING_BACK = "rolling back"
    LEFTOVERS = "canary leftovers"


NEXT_STEPS = {
    Phase.IDLE: "no deploy in progress; `openbid deploy canary --image TAG` starts one",
    Phase.CANARY_STARTING: "a canary is on its way: `canary` again with the same image continues, "
    "`abort` removes it",
    Phase.CANARY_LIVE: "analyse the canary (`openbid deploy analyze`), "
    "then `promote` or `rollback`",
    Phase.PROMOTING: "a promotion is under way or was interrupted: `promote` continues it, "
    "`rollback` undoes it",
    Phase.ROLLING_BACK: "a rollback was interrupted: `rollback` continues it",
    Phase.LEFTOVERS: "canary tasks or targets remain with no deploy in progress: "
    "`abort` removes them",
}


@dataclass(frozen=True)
class Canary:
    """The canary in progress, as its marks describe it."""

    revision: str
    mode: Mode
    weight: int
    stable_revision: str
    target: Target | None


def canary_from_marks(service: Service) -> Canary | None:
    """The canary the service's marks describe, if any."""
    marks = service.marks
    revision = marks.get(Mark.CANARY_REVISION)
    if revision is None:
        return None
    try:
        target = marks.get(Mark.CANARY_TARGET)
        return Canary(
            revision=revision,
            mode=Mode(marks.get(Mark.CANARY_MODE, Mode.WEIGHTED)),
            weight=int(marks.get(Mark.CANARY_WEIGHT, "0")),
            stable_revision=marks.get(Mark.STABLE_REVISION, service.revision),
            target=Target.parse(target) if target else None,
        )
    except ValueError as error:
        raise ConflictError(
            f"the canary marks on service {service.name} are unreadable ({error}); "
            "`openbid deploy abort` clears them"
        ) from None


@dataclass(frozen=True)
class DeployState:
    """Everything the verbs decide on, read in one go."""

    service: Service
    canary: Canary | None
    tasks: tuple[Task, ...]
    traffic: Traffic

    def marked(self, mark: Mark) -> str | None:
        """The value of one mark on the service."""
        return self.service.marks.get(mark)

    @property
    def canary_targets(self) -> frozenset[Target]:
        """Addresses that belong to canaries: the marked one and those of running canary tasks."""
        targets = {task.target for task in self.tasks if task.target is not None}
        if self.canary is not None and self.canary.target is not None:
            targets.add(self.canary.target)
        return frozenset(targets)

    @property
    def has_leftovers(self) -> bool:
        """Canary tasks, canary targets or canary weight, whether or not a canary is marked."""
        in_stable = any(th.target in self.canary_targets for th in self.traffic.stable)
        return bool(self.tasks or self.traffic.canary or self.traffic.canary_weight or in_stable)

    def _canary_live(self, canary: Canary) -> bool:
        running = next(
            (t.target for t in self.tasks if t.revision == canary.revision and t.running), None
        )
        if running is None:
            return False
        health = self.traffic.health(canary.mode.pool, running)
        if health is None or health.state != "healthy":
            return False
        return canary.mode is Mode.TASK or self.traffic.canary_weight == canary.weight

    @property
    def phase(self) -> Phase:
        """Where the deploy stands."""
        if self.marked(Mark.ROLLBACK_TO):
            return Phase.ROLLING_BACK
        if self.canary is None:
            return Phase.LEFTOVERS if self.has_leftovers else Phase.IDLE
        if self.service.revision == self.canary.revision:
            return Phase.PROMOTING
        return Phase.CANARY_LIVE if self._canary_live(self.canary) else Phase.CANARY_STARTING

    @property
    def next_step(self) -> str:
        """What to run next, in words."""
        return NEXT_STEPS[self.phase]


def read_state(platform: Platform) -> DeployState:
    """Read the service, its marks, the canary tasks and the traffic picture."""
    service = platform.service()
    return DeployState(
        service=service,
        canary=canary_from_marks(service),
        tasks=platform.canary_tasks(),
        traffic=platform.traffic(),
    )
