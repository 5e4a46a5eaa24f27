"""``Platform`` on one machine: ``openbid serve`` processes behind HAProxy.

The service is the set of stable tasks and the revision they should run (``service.json``);
marks are a JSON file; the two pools are slot sets of one HAProxy backend and the canary weight
a share of its server weights. ``update_service`` records the wanted revision and
``wait_rollout`` carries it out as ECS would: start the new tasks, wait until HAProxy finds them
healthy, then drain and stop the old ones, so capacity never dips.
"""

import http.client
import os
import subprocess
from collections.abc import Mapping

import msgspec
from rich.console import Console

from openbid.deploy.errors import ConflictError, DeployError, MissingResourceError
from openbid.deploy.local.haproxy import SLOTS, HaproxyRuntime, Slot, pool_weights
from openbid.deploy.local.jsonfile import read_json, write_json
from openbid.deploy.local.layout import StateDir
from openbid.deploy.local.prometheus import write_targets
from openbid.deploy.local.revisions import RevisionStore, environment_of
from openbid.deploy.local.settings import LocalSettings
from openbid.deploy.local.tasks import ARN_PREFIX, LOOPBACK, Role, TaskRecord, TaskStore
from openbid.deploy.platform import (
    Deployment,
    Pool,
    Revision,
    Service,
    Target,
    TargetHealth,
    Task,
    Traffic,
)
from openbid.deploy.taskdef import TaskDefinition
from openbid.deploy.wait import Outcome, Verdict, poll

SERVICE_NAME = "openbid-local"


class ServiceFile(msgspec.Struct):
    """The revision the stable tasks should run."""

    revision: str


class TrafficFile(msgspec.Struct):
    """The canary pool's percent of traffic."""

    canary_weight: int = 0


def load_settings(state: StateDir) -> LocalSettings:
    """The settings of the local deployment in ``state``; a readable error when there is none."""
    if not state.settings.is_file():
        raise MissingResourceError(
            f"no local deployment in {state.root}: start one with `openbid deploy local up`"
        )
    return read_json(state.settings, LocalSettings)


def _ready(port: int) -> bool:
    """Whether the bidder on ``port`` answers ``/readyz`` with 200."""
    conn = http.client.HTTPConnection(LOOPBACK, port, timeout=1)
    try:
        conn.request("GET", "/readyz")
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


def _registered(slots: list[Slot], pool: Pool) -> tuple[TargetHealth, ...]:
    """The targets ``pool``'s slots point at, with their health."""
    found = (slot.health() for slot in slots if slot.pool is pool)
    return tuple(health for health in found if health is not None)


class LocalPlatform:
    """``Platform`` on this machine, its state in a directory."""

    def __init__(self, state: StateDir, console: Console) -> None:
        self.state = state
        self.settings = load_settings(state)
        self._console = console
        self.tasks = TaskStore(state, self.settings)
        self._revisions = RevisionStore(state.revisions, self.settings.family)
        self.haproxy = HaproxyRuntime(state.haproxy_socket)

    # What is there.

    def _service_revision(self) -> str:
        if not self.state.service.is_file():
            raise MissingResourceError(
                f"the local deployment in {self.state.root} has no service revision yet: "
                "`openbid deploy local up` sets one"
            )
        return read_json(self.state.service, ServiceFile).revision

    def _marks(self) -> dict[str, str]:
        if not self.state.marks.is_file():
            return {}
        return read_json(self.state.marks, dict[str, str])

    def _records(self, role: Role) -> list[TaskRecord]:
        return [r for r in self.tasks.records() if r.role is role]

    def service(self) -> Service:
        """The stable tasks, the revision they should run, and the marks."""
        revision = self._service_revision()
        desired = self.settings.stable_tasks
        alive = [r for r in self._records(Role.STABLE) if self.tasks.pid(r) is not None]
        current = sum(1 for r in alive if r.revision == revision)
        done = current == desired and len(alive) == desired
        deployments = [
            Deployment(
                id=f"{SERVICE_NAME}/{revision}",
                status="PRIMARY",
                revision=revision,
                rollout_state="COMPLETED" if done else "IN_PROGRESS",
                running=current,
                desired=desired,
            )
        ]
        for other in sorted({r.revision for r in alive} - {revision}):
            running = sum(1 for r in alive if r.revision == other)
            deployments.append(
                Deployment(f"{SERVICE_NAME}/{other}", "ACTIVE", other, "", running, 0)
            )
        return Service(
            name=SERVICE_NAME,
            arn=f"local:service/{SERVICE_NAME}",
            revision=revision,
            desired=desired,
            running=len(alive),
            deployments=tuple(deployments),
            marks=self._marks(),
        )

    def revision(self, ref: str) -> Revision:
        """A revision by ``family:number``, number or family (its latest)."""
        return self._revisions.get(ref)

    def latest_revision(self, family: str) -> Revision | None:
        """The highest revision of ``family``, if any."""
        return self._revisions.latest() if family == self.settings.family else None

    def previous_revision(self, current: Revision) -> Revision | None:
        """The highest revision below ``current``."""
        return self._revisions.previous(current)

    def canary_tasks(self) -> tuple[Task, ...]:
        """The canary tasks, running or exited but not yet removed."""
        return tuple(self.tasks.as_task(r) for r in self._records(Role.CANARY))

    def service_tasks(self) -> tuple[Task, ...]:
        """The stable tasks that run."""
        tasks = (self.tasks.as_task(r) for r in self._records(Role.STABLE))
        return tuple(task for task in tasks if task.running)

    def canary_weight(self) -> int:
        """The canary pool's percent of traffic."""
        if not self.state.traffic.is_file():
            return 0
        return read_json(self.state.traffic, TrafficFile).canary_weight

    def traffic(self) -> Traffic:
        """The weights and each pool's targets, as HAProxy has them."""
        slots = self.haproxy.slots()
        weight = self.canary_weight()
        return Traffic(
            stable_weight=100 - weight,
            canary_weight=weight,
            stable_attached=True,
            canary_attached=True,
            stable=_registered(slots, Pool.STABLE),
            canary=_registered(slots, Pool.CANARY),
        )

    # Changes.

    def register_revision(self, definition: TaskDefinition, tags: Mapping[str, str]) -> Revision:
        """Register ``definition`` as the next local revision."""
        revision = self._revisions.add(definition, dict(tags))
        self._console.print(f"registered {revision.name}")
        return revision

    def mark(self, marks: Mapping[str, str]) -> None:
        """Record deploy state."""
        write_json(self.state.marks, {**self._marks(), **marks})

    def unmark(self, keys: list[str]) -> None:
        """Forget deploy state."""
        write_json(self.state.marks, {k: v for k, v in self._marks().items() if k not in keys})

    def _refresh_targets(self) -> None:
        write_targets(self.state.prometheus_targets, self.tasks.records())

    def _start(self, role: Role, revision: Revision) -> TaskRecord:
        record = self.tasks.start(role, revision)
        self._refresh_targets()
        self._console.print(
            f"started {role} task {record.id} of {revision.name} ({record.label}) at "
            f"{record.target}"
        )
        return record

    def start_canary(self, revision: Revision) -> Task:
        """Start one canary process of ``revision``."""
        return self.tasks.as_task(self._start(Role.CANARY, revision))

    def _slot(self, pool: Pool, target: Target) -> Slot | None:
        return next(
            (s for s in self.haproxy.slots() if s.pool is pool and s.target == target), None
        )

    def _rebalance(self) -> None:
        """Give every slot that takes traffic the weight its pool's share calls for."""
        slots = [s for s in self.haproxy.slots() if s.taking_traffic]
        stable = [s for s in slots if s.pool is Pool.STABLE]
        canary = [s for s in slots if s.pool is Pool.CANARY]
        each_stable, each_canary = pool_weights(len(stable), len(canary), self.canary_weight())
        for slot in stable:
            self.haproxy.set_weight(slot, each_stable)
        for slot in canary:
            self.haproxy.set_weight(slot, each_canary)

    def register_target(self, pool: Pool, target: Target) -> None:
        """Point a free slot of ``pool`` at ``target`` (or take a draining one back)."""
        slot = self._slot(pool, target)
        if slot is not None and not slot.parked:
            if not slot.taking_traffic:
                self.haproxy.ready(slot)
        else:
            slot = slot or next(
                (s for s in self.haproxy.slots() if s.pool is pool and s.parked), None
            )
            if slot is None:
                raise ConflictError(f"all {SLOTS[pool]} {pool} slots of HAProxy are in use")
            self.haproxy.point(slot, target)
        self._rebalance()
        self._console.print(f"registered {target} in the {pool} pool")

    def deregister_target(self, pool: Pool, target: Target) -> None:
        """Drain ``target``'s slot: no new requests, those in flight finish."""
        slot = self._slot(pool, target)
        if slot is not None and slot.taking_traffic:
            self.haproxy.drain(slot)
            self._rebalance()
            self._console.print(f"draining {target} from the {pool} pool")

    def set_canary_weight(self, weight: int) -> None:
        """Send ``weight`` percent of requests to the canary pool."""
        write_json(self.state.traffic, TrafficFile(weight))
        self._rebalance()
        self._console.print(f"weights: stable {100 - weight}, canary {weight}")

    def update_service(self, revision: Revision) -> None:
        """Want ``revision`` on the stable tasks (``wait_rollout`` carries it out)."""
        write_json(self.state.service, ServiceFile(revision.arn))
        self._console.print(f"service {SERVICE_NAME} updating to {revision.name}")

    def _record(self, task: Task) -> TaskRecord | None:
        return self.tasks.find(task.arn.removeprefix(ARN_PREFIX))

    def stop_task(self, task: Task, reason: str) -> None:
        """Stop ``task``'s process (it drains its connections) and forget it."""
        record = self._record(task)
        if record is not None:
            self.tasks.stop(record)
            self._refresh_targets()
            self._console.print(f"stopped task {record.id} ({record.label}): {reason}")

    # Waits.

    def wait_task_running(self, task: Task) -> Task:
        """Until ``task``'s process answers ``/readyz``."""
        record = self._record(task)
        if record is None:
            raise DeployError(f"no local task {task.id}")

        def judge(ready: bool) -> Verdict:
            if ready:
                return Verdict(Outcome.DONE, "ready")
            if self.tasks.pid(record) is None:
                tail = self.tasks.log_tail(record.id)
                return Verdict(Outcome.FAILED, f"exited; its log ends:\n{tail}")
            return Verdict(Outcome.WAITING, "starting")

        waits = self.settings.waits
        poll(
            lambda: _ready(record.port),
            judge,
            what=f"task {record.id} ready",
            timeout=waits.task_running,
            interval=waits.interval,
            console=self._console,
        )
        return self.tasks.as_task(record)

    def wait_target_healthy(self, pool: Pool, target: Target) -> None:
        """Until HAProxy's checks find ``target`` up in ``pool``."""

        def judge(slot: Slot | None) -> Verdict:
            health = slot.health() if slot is not None else None
            if health is None:
                return Verdict(Outcome.FAILED, f"{target} is not in the {pool} pool")
            if health.state == "healthy":
                return Verdict(Outcome.DONE, "healthy")
            return Verdict(Outcome.WAITING, health.reason)

        waits = self.settings.waits
        poll(
            lambda: self._slot(pool, target),
            judge,
            what=f"{target} healthy in the {pool} pool",
            timeout=waits.target_healthy,
            interval=waits.interval,
            console=self._console,
        )

    def wait_target_drained(self, pool: Pool, target: Target) -> None:
        """Until no request is in flight on ``target``'s slot; then free the slot."""

        def judge(slot: Slot | None) -> Verdict:
            if slot is None or slot.taking_traffic or slot.sessions == 0:
                return Verdict(Outcome.DONE, "drained")
            return Verdict(Outcome.WAITING, f"{slot.sessions} in flight")

        waits = self.settings.waits
        slot = poll(
            lambda: self._slot(pool, target),
            judge,
            what=f"{target} drained from the {pool} pool",
            timeout=waits.drained,
            interval=waits.interval,
            console=self._console,
        )
        if slot is not None and not slot.taking_traffic:
            self.haproxy.park(slot)

    def wait_rollout(self, revision: Revision) -> None:
        """Replace the stable tasks of other revisions by tasks of ``revision``, new ones healthy
        before old ones drain."""
        wanted = self._service_revision()
        if wanted != revision.arn:
            raise ConflictError(f"the service was moved to {wanted}, not {revision.name}")
        records = self._records(Role.STABLE)
        for record in records:
            if self.tasks.pid(record) is None:
                self._retire(record)
        alive = [r for r in records if self.tasks.pid(r) is not None]
        current = [r for r in alive if r.revision == revision.arn]
        missing = self.settings.stable_tasks - len(current)
        started = [self._start(Role.STABLE, revision) for _ in range(max(missing, 0))]
        for record in started:
            task = self.wait_task_running(self.tasks.as_task(record))
            if task.target is None:
                raise DeployError(f"task {record.id} runs but has no address")
            self.register_target(Pool.STABLE, task.target)
            self.wait_target_healthy(Pool.STABLE, task.target)
        for record in current + started:
            health = self.traffic().health(Pool.STABLE, record.target)
            if health is None or health.leaving:
                self.register_target(Pool.STABLE, record.target)
        extra = current[self.settings.stable_tasks :]
        for record in [r for r in alive if r.revision != revision.arn] + extra:
            self._retire(record)

    def _retire(self, record: TaskRecord) -> None:
        """Take a stable task out of traffic, let it drain, stop it."""
        self.deregister_target(Pool.STABLE, record.target)
        self.wait_target_drained(Pool.STABLE, record.target)
        self.stop_task(self.tasks.as_task(record), "replaced")

    # Into a task.

    def exec(self, task: Task, container: str, command: str) -> int:
        """Run ``command`` in a shell with the task's variables; its exit code."""
        record = self._record(task)
        if record is None:
            raise DeployError(f"no local task {task.id}")
        env = {**os.environ, **environment_of(self.revision(record.revision))}
        return subprocess.run(["/bin/sh", "-c", command], env=env, check=False).returncode
