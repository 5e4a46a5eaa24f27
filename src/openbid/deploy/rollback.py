"""``openbid deploy rollback [--to REVISION]``: the service goes back; any canary goes away.

Without ``--to`` the target is, in order: the rollback already under way; the revision the
service ran when the canary started (if a canary is there); the revision before the last
promotion; the highest active revision below the current one. The canary is removed first (it
may be what is wrong), then the service is rolled out to the target and watched until COMPLETED.

A finished rollback is recorded, so running it again says so instead of stepping back further
(``--to`` goes further on purpose).
"""

from openbid.deploy.abort import remove_canary
from openbid.deploy.errors import ConflictError
from openbid.deploy.platform import Platform, Revision, short_revision
from openbid.deploy.state import DeployState, Mark, read_state

DONE_MARKS = (Mark.ROLLBACK_TO, Mark.PREVIOUS_REVISION, Mark.PROMOTED_REVISION)


def _named(platform: Platform, state: DeployState, to: str) -> Revision:
    """``--to``: a revision number of the service's family, ``family:number`` or an ARN."""
    if to.isdigit():
        family = short_revision(state.service.revision).rsplit(":", 1)[0]
        return platform.revision(f"{family}:{to}")
    return platform.revision(to)


def _target(platform: Platform, state: DeployState, to: str | None) -> Revision | None:
    """Where to roll back to; None when the last rollback already went there."""
    if to is not None:
        return _named(platform, state, to)
    ref = (
        state.marked(Mark.ROLLBACK_TO)
        or (state.canary.stable_revision if state.canary is not None else None)
        or state.marked(Mark.PREVIOUS_REVISION)
    )
    if ref is not None:
        return platform.revision(ref)
    if state.marked(Mark.ROLLED_BACK_FROM):
        return None
    current = platform.revision(state.service.revision)
    previous = platform.previous_revision(current)
    if previous is None:
        raise ConflictError(f"no active revision before {current.name} to roll back to")
    return previous


def rollback(platform: Platform, to: str | None) -> str:
    """Remove any canary, return the service to the previous (or named) revision; the outcome."""
    state = read_state(platform)
    target = _target(platform, state, to)
    if target is None:
        left = short_revision(state.marked(Mark.ROLLED_BACK_FROM) or "")
        return (
            f"already rolled back from {left}: the service runs "
            f"{short_revision(state.service.revision)} (--to REVISION goes further back)"
        )
    if state.marked(Mark.ROLLBACK_TO) != target.arn:
        left = state.canary.revision if state.canary is not None else state.service.revision
        platform.mark({Mark.ROLLBACK_TO: target.arn, Mark.ROLLED_BACK_FROM: left})
    remove_canary(platform, state)
    if state.service.revision != target.arn:
        platform.update_service(target)
    platform.wait_rollout(target)
    done = [mark.value for mark in DONE_MARKS if state.marked(mark)] + [Mark.ROLLBACK_TO.value]
    platform.unmark(sorted(set(done)))
    return f"rolled back: the service runs {target.name}"
