"""The waiting logic, judged against recorded describe responses, and the polling loop."""

import io
import json
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from openbid.deploy.errors import WaitFailedError
from openbid.deploy.platform import Target
from openbid.deploy.wait import (
    Outcome,
    Verdict,
    WaitTimeoutError,
    judge_rollout,
    judge_target_drained,
    judge_target_healthy,
    judge_task_running,
    poll,
)

RESPONSES = Path(__file__).parent / "responses"
NEW = "arn:aws:ecs:us-east-1:123456789012:task-definition/openbid-bidder-prod:42"
TASK = "arn:aws:ecs:us-east-1:123456789012:task/openbid-prod/5b9f0f6e2d1c4a7e9c3e1f7a2b4c6d8e"
TARGET = Target("10.0.1.57", 8080)


def recorded(name: str) -> dict[str, Any]:
    """A recorded AWS response from ``responses/``."""
    response: dict[str, Any] = json.loads((RESPONSES / f"{name}.json").read_text())
    return response


@pytest.mark.parametrize(
    ("name", "outcome", "message"),
    [
        ("describe-services-before-update", Outcome.WAITING, "waiting for a deployment of"),
        ("describe-services-rollout-in-progress", Outcome.WAITING, "2/4 running, 4 old"),
        ("describe-services-rollout-draining-old", Outcome.WAITING, "4/4 running, 2 old"),
        ("describe-services-rollout-completed", Outcome.DONE, "rolled out: 4/4 running"),
        (
            "describe-services-circuit-breaker-rollback",
            Outcome.FAILED,
            "rollout of openbid-bidder-prod:42 failed: ECS deployment circuit breaker: tasks "
            "failed to start. (PRIMARY is now openbid-bidder-prod:41)",
        ),
        ("describe-services-superseded", Outcome.FAILED, "PRIMARY is now openbid-bidder-prod:43"),
    ],
)
def test_rollout(name: str, outcome: Outcome, message: str) -> None:
    verdict = judge_rollout(recorded(name), NEW)
    assert verdict.outcome is outcome
    assert message in verdict.message


def test_rollout_progress_counts_the_primary_deployment() -> None:
    verdict = judge_rollout(recorded("describe-services-rollout-in-progress"), NEW)
    assert (verdict.completed, verdict.total) == (2, 4)


def test_a_stable_service_on_another_revision_is_not_success() -> None:
    """The circuit breaker's rollback leaves a stable service: still a failed promotion."""
    rolled_back = recorded("describe-services-circuit-breaker-rollback")
    rolled_back["services"][0]["deployments"][0]["rolloutState"] = "COMPLETED"
    assert judge_rollout(rolled_back, NEW).outcome is Outcome.FAILED


def test_rollout_of_a_missing_service() -> None:
    assert judge_rollout({"services": [], "failures": []}, NEW).outcome is Outcome.FAILED


@pytest.mark.parametrize(
    ("name", "outcome", "message"),
    [
        ("describe-tasks-provisioning", Outcome.WAITING, "task provisioning"),
        ("describe-tasks-pending", Outcome.WAITING, "task pending"),
        ("describe-tasks-running", Outcome.DONE, "task running (health HEALTHY)"),
        ("describe-tasks-running-unhealthy", Outcome.FAILED, "health check fails"),
        (
            "describe-tasks-stopped",
            Outcome.FAILED,
            "task stopped (STOPPED): Essential container in task exited; bidder exited 2",
        ),
        ("describe-tasks-missing", Outcome.FAILED, "task not found"),
    ],
)
def test_task_running(name: str, outcome: Outcome, message: str) -> None:
    verdict = judge_task_running(recorded(name), TASK)
    assert verdict.outcome is outcome
    assert message in verdict.message


def test_a_running_task_told_to_stop_has_failed() -> None:
    stopping = recorded("describe-tasks-running")
    stopping["tasks"][0]["desiredStatus"] = "STOPPED"
    assert judge_task_running(stopping, TASK).outcome is Outcome.FAILED


@pytest.mark.parametrize(
    ("name", "outcome", "message"),
    [
        ("describe-target-health-initial", Outcome.WAITING, "initial"),
        ("describe-target-health-unhealthy", Outcome.WAITING, "codes: [503]"),
        ("describe-target-health-healthy", Outcome.DONE, "10.0.1.57:8080 healthy"),
        ("describe-target-health-draining", Outcome.FAILED, "draining"),
        ("describe-target-health-unused", Outcome.FAILED, "unused"),
    ],
)
def test_target_healthy(name: str, outcome: Outcome, message: str) -> None:
    verdict = judge_target_healthy(recorded(name), TARGET)
    assert verdict.outcome is outcome
    assert message in verdict.message


def test_another_target_is_not_ours() -> None:
    response = recorded("describe-target-health-healthy")
    assert judge_target_healthy(response, Target("10.0.1.58", 8080)).outcome is Outcome.FAILED


@pytest.mark.parametrize(
    ("name", "outcome"),
    [
        ("describe-target-health-draining", Outcome.WAITING),
        ("describe-target-health-unused", Outcome.DONE),
        ("describe-target-health-unavailable", Outcome.DONE),
        ("describe-target-health-healthy", Outcome.FAILED),
    ],
)
def test_target_drained(name: str, outcome: Outcome) -> None:
    assert judge_target_drained(recorded(name), TARGET).outcome is outcome


def test_target_gone_from_the_listing_is_drained() -> None:
    verdict = judge_target_drained({"TargetHealthDescriptions": []}, TARGET)
    assert verdict.outcome is Outcome.DONE


class FakeClock:
    """Time that passes only when the poller sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def console() -> tuple[Console, io.StringIO]:
    """A console writing into a buffer."""
    buffer = io.StringIO()
    return Console(file=buffer, width=120), buffer


def test_poll_returns_the_response_that_was_done() -> None:
    responses = iter(["provisioning", "pending", "running"])
    clock = FakeClock()
    out, buffer = console()

    def judge(response: str) -> Verdict:
        if response == "running":
            return Verdict(Outcome.DONE, "task running")
        return Verdict(Outcome.WAITING, f"task {response}")

    result = poll(
        lambda: next(responses),
        judge,
        what="canary task running",
        timeout=60,
        interval=5,
        console=out,
        clock=clock,
        sleep=clock.sleep,
    )
    assert result == "running"
    assert clock.sleeps == [5, 5]
    assert "canary task running" in buffer.getvalue()


def test_poll_fails_at_once_on_a_failed_verdict() -> None:
    clock = FakeClock()
    with pytest.raises(WaitFailedError, match="rollout: rollout of x failed"):
        poll(
            lambda: None,
            lambda _: Verdict(Outcome.FAILED, "rollout of x failed"),
            what="rollout",
            timeout=60,
            interval=5,
            console=console()[0],
            clock=clock,
            sleep=clock.sleep,
        )
    assert clock.sleeps == []


def test_poll_gives_up_after_its_timeout_saying_where_it_stood() -> None:
    clock = FakeClock()
    with pytest.raises(WaitTimeoutError, match=r"gave up after 12s \(10.0.1.57:8080 unhealthy\)"):
        poll(
            lambda: None,
            lambda _: Verdict(Outcome.WAITING, "10.0.1.57:8080 unhealthy"),
            what="target healthy",
            timeout=12,
            interval=5,
            console=console()[0],
            clock=clock,
            sleep=clock.sleep,
        )
    assert clock.sleeps == [5, 5, 5]
