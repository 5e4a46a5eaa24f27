"""``openbid deploy status``: the live picture, and what to run next.

Revisions and deployments of the service, the canary (marked and running), the listener's
weights and every target's health in both pools, the deploy marks, and the phase the deploy is
in — enough to see where a CI job that died left things.
"""

from typing import Any

from rich.console import Console
from rich.table import Table

from openbid.deploy.platform import Platform, Pool, short_revision
from openbid.deploy.state import DeployState, read_state


def status(platform: Platform) -> DeployState:
    """Read the deploy's state."""
    return read_state(platform)


def as_json(state: DeployState) -> dict[str, Any]:
    """The state as plain data, for machines (``--json``)."""
    service = state.service
    traffic = state.traffic
    canary = state.canary
    return {
        "phase": state.phase.value,
        "next": state.next_step,
        "service": {
            "name": service.name,
            "revision": service.revision,
            "desired": service.desired,
            "running": service.running,
            "deployments": [
                {
                    "status": d.status,
                    "revision": d.revision,
                    "rollout": d.rollout_state,
                    "running": d.running,
                    "desired": d.desired,
                    "reason": d.reason,
                }
                for d in service.deployments
            ],
        },
        "canary": None
        if canary is None
        else {
            "revision": canary.revision,
            "mode": canary.mode.value,
            "weight": canary.weight,
            "stable_revision": canary.stable_revision,
            "target": str(canary.target) if canary.target else None,
        },
        "canary_tasks": [
            {
                "arn": t.arn,
                "revision": t.revision,
                "status": t.last_status,
                "health": t.health,
                "target": str(t.target) if t.target else None,
            }
            for t in state.tasks
        ],
        "listener": {
            "stable_weight": traffic.stable_weight,
            "canary_weight": traffic.canary_weight,
            "stable_attached": traffic.stable_attached,
            "canary_attached": traffic.canary_attached,
        },
        "targets": {
            pool.value: [
                {"target": str(th.target), "state": th.state, "reason": th.reason}
                for th in traffic.pool(pool)
            ]
            for pool in Pool
        },
        "marks": dict(service.marks),
    }


def print_status(state: DeployState, console: Console) -> None:
    """The state as tables."""
    service = state.service
    console.print(
        f"[bold]{service.name}[/]: {short_revision(service.revision)}, "
        f"{service.running}/{service.desired} running — [bold]{state.phase}[/]"
    )
    deployments = Table(title="deployments")
    for column in ("status", "revision", "rollout", "running", "reason"):
        deployments.add_column(column)
    for d in service.deployments:
        deployments.add_row(
            d.status,
            short_revision(d.revision),
            d.rollout_state,
            f"{d.running}/{d.desired}",
            d.reason,
        )
    console.print(deployments)
    if state.canary is not None:
        canary = state.canary
        console.print(
            f"canary: {short_revision(canary.revision)}, {canary.mode} mode, "
            f"weight {canary.weight}, started over {short_revision(canary.stable_revision)}"
        )
    tasks = Table(title="canary tasks")
    for column in ("task", "revision", "status", "health", "address"):
        tasks.add_column(column)
    for t in state.tasks:
        tasks.add_row(
            t.id, short_revision(t.revision), t.last_status, t.health, str(t.target or "-")
        )
    console.print(tasks)
    traffic = state.traffic
    targets = Table(
        title=f"listener: stable {traffic.stable_weight}, canary {traffic.canary_weight}"
    )
    for column in ("pool", "target", "state", "reason"):
        targets.add_column(column)
    for pool in Pool:
        for th in traffic.pool(pool):
            canary_mark = " (canary)" if th.target in state.canary_targets else ""
            targets.add_row(pool.value, f"{th.target}{canary_mark}", th.state, th.reason)
    console.print(targets)
    for pool, attached in (
        (Pool.STABLE, traffic.stable_attached),
        (Pool.CANARY, traffic.canary_attached),
    ):
        if not attached:
            console.print(
                f"[red]the {pool} target group is not in the listener's forward action[/]"
            )
    for key, value in sorted(service.marks.items()):
        if key.startswith("openbid:"):
            console.print(f"mark {key} = {short_revision(value)}", highlight=False)
    console.print(f"next: {state.next_step}")
