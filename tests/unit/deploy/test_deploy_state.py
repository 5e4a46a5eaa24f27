"""The deploy's state as read back from marks, tasks and traffic: phases and next steps."""

from dataclasses import replace

import pytest

from openbid.deploy.errors import ConflictError
from openbid.deploy.platform import (
    Mode,
    Service,
    Target,
    TargetHealth,
    Task,
    Traffic,
)
from openbid.deploy.state import Canary, DeployState, Mark, Phase, canary_from_marks

REV1 = "arn:aws:ecs:us-east-1:123456789012:task-definition/openbid-bidder-prod:1"
REV2 = "arn:aws:ecs:us-east-1:123456789012:task-definition/openbid-bidder-prod:2"
TARGET = Target("10.0.1.57", 8080)
IDLE_TRAFFIC = Traffic(100, 0, True, True, (), ())
CANARY_MARKS = {
    Mark.CANARY_REVISION: REV2,
    Mark.CANARY_MODE: "weighted",
    Mark.CANARY_WEIGHT: "5",
    Mark.STABLE_REVISION: REV1,
    Mark.CANARY_TARGET: str(TARGET),
}


def service(revision: str = REV1, **marks: str) -> Service:
    """A service on ``revision`` with ``marks``."""
    return Service("openbid-bidder-prod", "arn:svc", revision, 4, 4, (), dict(marks))


def state(
    svc: Service,
    tasks: tuple[Task, ...] = (),
    traffic: Traffic = IDLE_TRAFFIC,
) -> DeployState:
    """A deploy state over ``svc``."""
    return DeployState(svc, canary_from_marks(svc), tasks, traffic)


RUNNING = Task("arn:task/abc", REV2, "RUNNING", "RUNNING", TARGET)
LIVE_TRAFFIC = Traffic(95, 5, True, True, (), (TargetHealth(TARGET, "healthy"),))


def test_marks_make_the_canary() -> None:
    assert canary_from_marks(service(**CANARY_MARKS)) == Canary(
        REV2, Mode.WEIGHTED, 5, REV1, TARGET
    )
    assert canary_from_marks(service()) is None


def test_unreadable_marks_say_how_to_clear_them() -> None:
    with pytest.raises(ConflictError, match="`openbid deploy abort` clears them"):
        canary_from_marks(service(**{**CANARY_MARKS, Mark.CANARY_WEIGHT: "five"}))


def test_idle() -> None:
    assert state(service()).phase is Phase.IDLE


def test_marked_but_not_running_is_starting() -> None:
    assert state(service(**CANARY_MARKS)).phase is Phase.CANARY_STARTING


def test_running_registered_healthy_and_weighted_is_live() -> None:
    live = state(service(**CANARY_MARKS), (RUNNING,), LIVE_TRAFFIC)
    assert live.phase is Phase.CANARY_LIVE
    assert "openbid deploy analyze" in live.next_step


def test_not_yet_weighted_is_still_starting() -> None:
    unweighted = replace(LIVE_TRAFFIC, stable_weight=100, canary_weight=0)
    assert state(service(**CANARY_MARKS), (RUNNING,), unweighted).phase is Phase.CANARY_STARTING


def test_unhealthy_is_still_starting() -> None:
    sick = replace(LIVE_TRAFFIC, canary=(TargetHealth(TARGET, "unhealthy"),))
    assert state(service(**CANARY_MARKS), (RUNNING,), sick).phase is Phase.CANARY_STARTING


def test_task_mode_is_live_in_the_stable_pool() -> None:
    marks = {**CANARY_MARKS, Mark.CANARY_MODE: "task"}
    traffic = Traffic(100, 0, True, True, (TargetHealth(TARGET, "healthy"),), ())
    assert state(service(**marks), (RUNNING,), traffic).phase is Phase.CANARY_LIVE


def test_service_on_the_canary_revision_is_promoting() -> None:
    promoting = state(service(REV2, **CANARY_MARKS), (RUNNING,), LIVE_TRAFFIC)
    assert promoting.phase is Phase.PROMOTING
    assert "`promote` continues it" in promoting.next_step


def test_a_rollback_mark_wins() -> None:
    marks = {**CANARY_MARKS, Mark.ROLLBACK_TO: REV1}
    assert state(service(**marks)).phase is Phase.ROLLING_BACK


def test_unmarked_canary_tasks_are_leftovers() -> None:
    leftovers = state(service(), (RUNNING,))
    assert leftovers.phase is Phase.LEFTOVERS
    assert "`abort` removes them" in leftovers.next_step


def test_canary_weight_without_a_canary_is_a_leftover() -> None:
    assert state(service(), traffic=replace(IDLE_TRAFFIC, canary_weight=5)).has_leftovers


def test_canary_targets_are_the_marked_and_the_running() -> None:
    other = Task("arn:task/def", REV2, "RUNNING", "RUNNING", Target("10.0.2.9", 8080))
    assert state(service(**CANARY_MARKS), (other,)).canary_targets == {
        TARGET,
        Target("10.0.2.9", 8080),
    }
