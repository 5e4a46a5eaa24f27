"""``openbid deploy canary --image TAG``: one task of the new revision takes a slice of traffic.

Steps, each skipped when already done, so a second run continues a first that died: register the
revision (or reuse the latest one when it is the same), mark the service, start one task where
the service's tasks run, wait until it runs, register its address (``--mode weighted``: in the
canary target group; ``--mode task``: in the service's own, for about 1/(N+1) of traffic), wait
until the load balancer finds it healthy, then (weighted) shift ``--weight`` percent to it.
"""

from rich.console import Console

from openbid import __version__
from openbid.deploy.errors import ConflictError, NotAttachedError, WaitFailedError
from openbid.deploy.platform import Mode, Platform, Revision, Target, Task, short_revision
from openbid.deploy.state import DeployState, Mark, Phase, read_state
from openbid.deploy.taskdef import TaskDefinition, comparable, image_tag

IMAGE_TAG = "openbid:image"
REGISTERED_BY = "openbid:registered-by"


def require_routing(state: DeployState, mode: Mode, listener: str) -> None:
    """The listener must forward to the pool the canary joins (and, weighted, to both)."""
    needed = {"stable": state.traffic.stable_attached}
    if mode is Mode.WEIGHTED:
        needed["canary"] = state.traffic.canary_attached
    for pool, attached in needed.items():
        if not attached:
            raise NotAttachedError(
                f"the {pool} target group is not in the default forward action of listener "
                f"{listener}: forward to both target groups (canary at weight 0), as "
                "infra/cloudformation/openbid.yaml does"
            )


def _same(revision: Revision, definition: TaskDefinition) -> bool:
    return comparable(revision.definition) == comparable(definition)


def _revision(
    platform: Platform, state: DeployState, definition: TaskDefinition, console: Console
) -> Revision:
    """The canary's revision: the marked one when resuming, else registered (or reused)."""
    if state.canary is not None:
        marked = platform.revision(state.canary.revision)
        if not _same(marked, definition):
            raise ConflictError(
                f"a canary of {marked.name} is in place: `promote`, `rollback` or `abort` it "
                "before starting another"
            )
        console.print(f"continuing the canary of {marked.name}")
        return marked
    family = str(definition["family"])
    latest = platform.latest_revision(family)
    if latest is not None and _same(latest, definition):
        console.print(f"{latest.name} already holds this task definition")
        return latest
    image = next(
        (str(c.get("image")) for c in definition["containerDefinitions"] if c.get("image")), ""
    )
    return platform.register_revision(
        definition, {IMAGE_TAG: image_tag(image), REGISTERED_BY: f"openbid {__version__}"}
    )


def _task(platform: Platform, state: DeployState, revision: Revision) -> tuple[Task, Target]:
    """The canary task of ``revision``, running (the one there, or a new one), and its address."""
    others = [t for t in state.tasks if t.revision != revision.arn]
    if others:
        raise ConflictError(
            f"canary task {others[0].id} of {short_revision(others[0].revision)} is still "
            "running: `openbid deploy abort` removes it"
        )
    task = state.tasks[0] if state.tasks else None
    if task is None:
        task = platform.start_canary(revision)
    task = platform.wait_task_running(task)
    if task.target is None:
        raise WaitFailedError(f"canary task {task.id} runs but has no network address")
    return task, task.target


def canary(
    platform: Platform,
    definition: TaskDefinition,
    mode: Mode,
    weight: int,
    listener: str,
    console: Console,
) -> str:
    """Start (or continue) a canary of ``definition``; what is live once it takes traffic."""
    state = read_state(platform)
    if state.phase in (Phase.PROMOTING, Phase.ROLLING_BACK):
        raise ConflictError(f"{state.phase} is under way: {state.next_step}")
    if state.canary is None and state.has_leftovers:
        raise ConflictError(f"{state.phase}: {state.next_step}")
    if state.canary is not None and state.canary.mode is not mode:
        raise ConflictError(
            f"a {state.canary.mode} canary is in place: `abort` it to start one in {mode} mode"
        )
    require_routing(state, mode, listener)
    revision = _revision(platform, state, definition, console)
    if revision.arn == state.service.revision:
        raise ConflictError(f"the service already runs {revision.name}: nothing to canary")
    if state.canary is None or state.canary.weight != weight:
        platform.mark(
            {
                Mark.CANARY_REVISION: revision.arn,
                Mark.CANARY_MODE: mode.value,
                Mark.CANARY_WEIGHT: str(weight),
                Mark.STABLE_REVISION: state.marked(Mark.STABLE_REVISION) or state.service.revision,
            }
        )
    task, target = _task(platform, state, revision)
    pool = mode.pool
    stale = state.canary.target if state.canary is not None else None
    if stale is not None and stale != target:
        health = state.traffic.health(pool, stale)
        if health is not None and not health.leaving:
            platform.deregister_target(pool, stale)
    platform.mark({Mark.CANARY_TARGET: str(target)})
    health = state.traffic.health(pool, target)
    if health is None or health.leaving:
        platform.register_target(pool, target)
    platform.wait_target_healthy(pool, target)
    if mode is Mode.WEIGHTED and (
        state.traffic.canary_weight != weight or state.traffic.stable_weight != 100 - weight
    ):
        platform.set_canary_weight(weight)
    share = f"{weight}% of traffic" if mode is Mode.WEIGHTED else "a share of the stable pool"
    return f"canary {revision.name} live: task {task.id} at {target}, {share}"
