"""Waiting, as pure judgements over AWS describe responses plus one polling loop.

Each ``judge_*`` function looks at one describe response and says: done, keep waiting (and
why), or failed (and why). They hold all the waiting logic and are tested against recorded
responses; ``poll`` only fetches, judges, shows progress and sleeps until done, failed or out
of time.

A rollout is done only when the service's PRIMARY deployment is the wanted revision *and*
COMPLETED: a service that settles on another revision (the circuit breaker rolled back) is
stable but failed.
"""

import enum
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from openbid.deploy.errors import WaitFailedError
from openbid.deploy.platform import Target, short_revision

Response = TypeVar("Response")
GONE_REASONS = ("Target.NotRegistered", "Target.InvalidState")


class Outcome(enum.Enum):
    """Where a wait stands after one look."""

    DONE = "done"
    WAITING = "waiting"
    FAILED = "failed"


@dataclass(frozen=True)
class Verdict:
    """One look's judgement, with counts for a progress bar when there are any."""

    outcome: Outcome
    message: str
    completed: int | None = None
    total: int | None = None


def _done(message: str) -> Verdict:
    return Verdict(Outcome.DONE, message)


def _waiting(message: str, completed: int | None = None, total: int | None = None) -> Verdict:
    return Verdict(Outcome.WAITING, message, completed, total)


def _failed(message: str) -> Verdict:
    return Verdict(Outcome.FAILED, message)


def _container_exits(task: Mapping[str, Any]) -> str:
    exits = [
        f"{c.get('name')} exited {c['exitCode']}" + (f" ({c['reason']})" if c.get("reason") else "")
        for c in task.get("containers", [])
        if c.get("exitCode") not in (None, 0) or c.get("reason")
    ]
    return "; ".join(exits)


def judge_task_running(response: Mapping[str, Any], task_arn: str) -> Verdict:
    """From ``DescribeTasks``: is the task running (and not failing its health check)?"""
    task = next((t for t in response.get("tasks", []) if t.get("taskArn") == task_arn), None)
    if task is None:
        failures = [f"{f.get('arn')}: {f.get('reason')}" for f in response.get("failures", [])]
        return _failed("task not found" + (f" ({'; '.join(failures)})" if failures else ""))
    last = str(task.get("lastStatus", "UNKNOWN"))
    if last in ("DEACTIVATING", "STOPPING", "DEPROVISIONING", "STOPPED") or (
        task.get("desiredStatus") == "STOPPED"
    ):
        reason = task.get("stoppedReason") or task.get("stopCode") or "no reason given"
        exits = _container_exits(task)
        return _failed(f"task stopped ({last}): {reason}" + (f"; {exits}" if exits else ""))
    health = str(task.get("healthStatus", "UNKNOWN"))
    if last == "RUNNING" and health == "UNHEALTHY":
        return _failed("task is running but its container health check fails")
    if last == "RUNNING":
        return _done(f"task running (health {health})")
    return _waiting(f"task {last.lower()}")


def _target_entry(response: Mapping[str, Any], target: Target) -> Mapping[str, Any] | None:
    for entry in response.get("TargetHealthDescriptions", []):
        described = entry.get("Target", {})
        if described.get("Id") == target.host and described.get("Port", target.port) == target.port:
            health: Mapping[str, Any] = entry.get("TargetHealth", {})
            return health
    return None


def judge_target_healthy(response: Mapping[str, Any], target: Target) -> Verdict:
    """From ``DescribeTargetHealth``: does the load balancer find ``target`` healthy?

    ``unhealthy`` is not final: a fresh target fails its first checks until the bidder is ready,
    so only the wait's time limit ends it.
    """
    health = _target_entry(response, target)
    if health is None:
        return _failed(f"{target} is not registered")
    state = str(health.get("State", "unknown"))
    if state == "healthy":
        return _done(f"{target} healthy")
    if state in ("draining", "unused"):
        return _failed(f"{target} is {state}: {health.get('Description', '')}".rstrip(": "))
    detail = health.get("Description") or health.get("Reason") or ""
    return _waiting(f"{target} {state}" + (f" ({detail})" if detail else ""))


def judge_target_drained(response: Mapping[str, Any], target: Target) -> Verdict:
    """From ``DescribeTargetHealth``: has ``target`` finished leaving the pool?"""
    health = _target_entry(response, target)
    if health is None:
        return _done(f"{target} gone")
    state = str(health.get("State", "unknown"))
    if state == "unused" or health.get("Reason") in GONE_REASONS:
        return _done(f"{target} deregistered")
    if state == "draining":
        return _waiting(f"{target} draining")
    return _failed(f"{target} is still registered ({state})")


def judge_rollout(response: Mapping[str, Any], revision_arn: str) -> Verdict:
    """From ``DescribeServices``: is the PRIMARY deployment ``revision_arn`` and COMPLETED?"""
    services = response.get("services", [])
    if not services:
        return _failed("service not found")
    deployments: Sequence[Mapping[str, Any]] = services[0].get("deployments", [])
    wanted = short_revision(revision_arn)
    primary = next((d for d in deployments if d.get("status") == "PRIMARY"), None)
    ours = [d for d in deployments if d.get("taskDefinition") == revision_arn]
    failed = next((d for d in ours if d.get("rolloutState") == "FAILED"), None)
    if failed is not None:
        now = short_revision(str(primary.get("taskDefinition"))) if primary else "nothing"
        reason = failed.get("rolloutStateReason") or "no reason given"
        return _failed(f"rollout of {wanted} failed: {reason} (PRIMARY is now {now})")
    if primary is None:
        return _waiting("no PRIMARY deployment yet")
    if primary.get("taskDefinition") != revision_arn:
        current = short_revision(str(primary.get("taskDefinition")))
        if ours:
            return _failed(f"{wanted} was replaced: PRIMARY is now {current}")
        return _waiting(f"waiting for a deployment of {wanted} (PRIMARY is {current})")
    running = int(primary.get("runningCount", 0))
    desired = int(primary.get("desiredCount", 0))
    state = primary.get("rolloutState", "IN_PROGRESS")
    others = [d for d in deployments if d is not primary and int(d.get("runningCount", 0)) > 0]
    if state == "COMPLETED" and not others:
        return _done(f"{wanted} rolled out: {running}/{desired} running")
    old = sum(int(d.get("runningCount", 0)) for d in others)
    return _waiting(f"{wanted} {running}/{desired} running, {old} old", running, desired or None)


class WaitTimeoutError(WaitFailedError):
    """A wait ran out of time; what it was waiting for may still happen."""


def poll(
    fetch: Callable[[], Response],
    judge: Callable[[Response], Verdict],
    *,
    what: str,
    timeout: float,
    interval: float,
    console: Console,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Response:
    """Fetch and judge until done (the last response), failed or timed out (``WaitFailedError``)."""
    deadline = clock() + timeout
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[status]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        bar = progress.add_task(what, total=None, status="")
        while True:
            response = fetch()
            verdict = judge(response)
            progress.update(
                bar,
                status=verdict.message,
                completed=verdict.completed or 0,
                total=verdict.total,
            )
            if verdict.outcome is Outcome.DONE:
                progress.update(bar, completed=verdict.total or 1, total=verdict.total or 1)
                return response
            if verdict.outcome is Outcome.FAILED:
                raise WaitFailedError(f"{what}: {verdict.message}")
            if clock() >= deadline:
                raise WaitTimeoutError(f"{what}: gave up after {timeout:g}s ({verdict.message})")
            sleep(interval)
