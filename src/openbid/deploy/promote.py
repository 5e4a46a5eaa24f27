"""``openbid deploy promote``: the service takes the canary's revision; then the canary goes.

The service is updated to the canary's revision and watched until its PRIMARY deployment is that
revision and COMPLETED — a service that settles on another revision (its circuit breaker rolled
back) has failed, however stable. Only then is the canary taken out of traffic and stopped, so
capacity never dips. A rerun continues from wherever a previous run stopped; once done, a rerun
says so and changes nothing.
"""

from openbid.deploy.abort import remove_canary
from openbid.deploy.errors import ConflictError
from openbid.deploy.platform import Platform, short_revision
from openbid.deploy.state import Mark, Phase, read_state


def promote(platform: Platform) -> str:
    """Roll the service out to the canary's revision, then remove the canary. What was done."""
    state = read_state(platform)
    if state.phase is Phase.ROLLING_BACK:
        raise ConflictError(f"{state.phase} is under way: {state.next_step}")
    if state.canary is None:
        promoted = state.marked(Mark.PROMOTED_REVISION)
        if promoted is not None and promoted == state.service.revision:
            return f"already promoted: the service runs {short_revision(promoted)}"
        raise ConflictError(
            "no canary to promote: start one with `openbid deploy canary --image TAG`"
        )
    revision = platform.revision(state.canary.revision)
    if state.service.revision != revision.arn:
        platform.mark({Mark.PREVIOUS_REVISION: state.service.revision})
        platform.update_service(revision)
    platform.wait_rollout(revision)
    platform.mark({Mark.PROMOTED_REVISION: revision.arn})
    if state.marked(Mark.ROLLED_BACK_FROM):
        platform.unmark([Mark.ROLLED_BACK_FROM.value])
    remove_canary(platform, read_state(platform))
    return f"promoted: the service runs {revision.name}"
