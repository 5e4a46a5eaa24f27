"""``openbid deploy abort``: take the canary out of traffic and stop it; the service stays as is.

``remove_canary`` is also the last step of ``promote`` and the first of ``rollback``. It removes
whatever is there, marked or not: the canary weight, canary targets in either pool (waiting for
them to drain, so requests in flight finish), canary tasks, and the canary marks.
"""

from openbid.deploy.platform import Platform, Pool, Target, short_revision
from openbid.deploy.state import CANARY_MARKS, DeployState, read_state

STOP_REASON = "openbid deploy: canary removed"


def remove_canary(platform: Platform, state: DeployState) -> None:
    """Remove every trace of a canary that ``state`` shows, in the order that drops no request."""
    if state.traffic.canary_weight:
        platform.set_canary_weight(0)
    ours = state.canary_targets
    leaving: list[tuple[Pool, Target]] = []
    for pool in Pool:
        for health in state.traffic.pool(pool):
            if pool is Pool.STABLE and health.target not in ours:
                continue
            if not health.leaving:
                platform.deregister_target(pool, health.target)
            if health.state != "unused":
                leaving.append((pool, health.target))
    for pool, target in leaving:
        platform.wait_target_drained(pool, target)
    for task in state.tasks:
        platform.stop_task(task, STOP_REASON)
    marks = [mark.value for mark in CANARY_MARKS if mark in state.service.marks]
    if marks:
        platform.unmark(marks)


def abort(platform: Platform) -> str:
    """Remove the canary, if there is one; leave the service's revision alone. What was done."""
    state = read_state(platform)
    if state.canary is None and not state.has_leftovers:
        return "no canary: nothing to abort"
    remove_canary(platform, state)
    return f"canary removed; the service runs {short_revision(state.service.revision)}"
