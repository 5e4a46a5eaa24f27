"""`openbid deploy` end to end against a moto server on loopback: whole flows, AWS state after
each step (task definition revisions, the service's revision, target registrations, listener
weights, tags), resumption after a crash between steps, dry runs, and readable errors.

What moto cannot do (roll services out, keep tasks running) is done by the fixtures in
``moto_fixtures``, each workaround listed there.
"""

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from openbid.cli import app
from openbid.deploy.ecs import CANARY_TAG, EcsPlatform, started_by
from openbid.deploy.platform import short_revision

from .fake_http import fake_server
from .fake_prometheus import bidder_prometheus
from .moto_fixtures import (
    CLUSTER,
    CREDENTIALS,
    FAMILY,
    REPOSITORY,
    SERVICE,
    MotoServer,
    RolloutController,
    World,
    build_world,
    moto_environment,
    write_config,
)

pytestmark = pytest.mark.timeout(60)
runner = CliRunner()
REV1, REV2, REV3 = (f"{FAMILY}:{n}" for n in (1, 2, 3))


class Crash(BaseException):
    """The CI job dying between two steps (not an error the CLI could catch)."""


@pytest.fixture(scope="session")
def moto() -> Iterator[tuple[MotoServer, RolloutController]]:
    """One moto server and rollout controller for the session."""
    with moto_environment() as pair:
        yield pair


@pytest.fixture
def controller(moto: tuple[MotoServer, RolloutController]) -> RolloutController:
    """The rollout controller, with no failures pending."""
    moto[1].reset()
    return moto[1]


@pytest.fixture
def world(
    moto: tuple[MotoServer, RolloutController], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> World:
    """A fresh AWS world: the service runs image 1.0.0 as revision 1, no canary."""
    server, rollouts = moto
    server.reset()
    rollouts.reset()
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "OPENBID_DEPLOY_CONFIG", "OPENBID_IMAGE"):
        monkeypatch.delenv(name, raising=False)
    return build_world(server.url, tmp_path)


def deploy(world: World, *args: str, config: Path | None = None) -> Result:
    """Run ``openbid deploy ARGS`` against the world, as CI would."""
    result = runner.invoke(
        app,
        [
            "deploy",
            *args,
            "--config",
            str(config or world.config),
            "--endpoint-url",
            world.endpoint,
        ],
        env={"COLUMNS": "200"},
    )
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


@dataclass(frozen=True)
class Snapshot:
    """The AWS side, as the tests compare it."""

    revisions: list[str]
    service: str
    primary: tuple[str, str]
    tasks: list[dict[str, Any]]
    stable: set[str]
    canary: set[str]
    weights: tuple[int, int]
    marks: dict[str, str]


def snapshot(world: World) -> Snapshot:
    """Read the world back through boto3, independently of the CLI."""
    ecs, elbv2 = world.ecs, world.elbv2
    revisions = ecs.list_task_definitions(familyPrefix=FAMILY, status="ACTIVE")
    service = ecs.describe_services(cluster=CLUSTER, services=[SERVICE], include=["TAGS"])
    described = service["services"][0]
    primary = next(d for d in described["deployments"] if d["status"] == "PRIMARY")
    arns = ecs.list_tasks(cluster=CLUSTER, startedBy=started_by(SERVICE), desiredStatus="RUNNING")[
        "taskArns"
    ]
    tasks = (
        ecs.describe_tasks(cluster=CLUSTER, tasks=arns, include=["TAGS"])["tasks"] if arns else []
    )
    listener = elbv2.describe_listeners(ListenerArns=[world.listener])["Listeners"][0]
    action = listener["DefaultActions"][0]
    groups = action.get("ForwardConfig", {}).get("TargetGroups", [])
    weight = {g["TargetGroupArn"]: g.get("Weight", 0) for g in groups} or {
        action["TargetGroupArn"]: 100
    }

    def targets(group: str) -> set[str]:
        health = elbv2.describe_target_health(TargetGroupArn=group)["TargetHealthDescriptions"]
        return {f"{d['Target']['Id']}:{d['Target']['Port']}" for d in health}

    return Snapshot(
        revisions=sorted(short_revision(arn) for arn in revisions["taskDefinitionArns"]),
        service=short_revision(described["taskDefinition"]),
        primary=(short_revision(primary["taskDefinition"]), primary.get("rolloutState", "")),
        tasks=[dict(t) for t in tasks],
        stable=targets(world.stable_group),
        canary=targets(world.canary_group),
        weights=(weight.get(world.stable_group, 0), weight.get(world.canary_group, 0)),
        marks={
            t["key"]: short_revision(t["value"])
            for t in described.get("tags", [])
            if t["key"].startswith("openbid:")
        },
    )


def task_address(task: dict[str, Any]) -> str:
    """HOST:PORT of a described canary task."""
    details = {d["name"]: d["value"] for d in task["attachments"][0]["details"]}
    return f"{details['privateIPv4Address']}:8080"


def canary_marks(mode: str = "weighted", weight: str = "5", **more: str) -> dict[str, str]:
    """The marks a live canary of revision 2 over revision 1 leaves on the service."""
    return {
        "openbid:canary-revision": REV2,
        "openbid:canary-mode": mode,
        "openbid:canary-weight": weight,
        "openbid:stable-revision": REV1,
        **more,
    }


def test_canary_then_promote(world: World) -> None:
    before = snapshot(world)
    assert before.revisions == [REV1]
    assert before.weights == (100, 0)
    assert before.marks == {}

    result = deploy(world, "canary", "--image", "1.1.0")
    assert result.exit_code == 0, result.output
    assert "canary openbid-bidder-test:2 live" in result.output
    after = snapshot(world)
    assert after.revisions == [REV1, REV2]
    assert after.service == REV1
    (task,) = after.tasks
    address = task_address(task)
    assert task["taskDefinitionArn"].endswith(REV2)
    assert {t["key"]: t["value"] for t in task["tags"]}[CANARY_TAG] == SERVICE
    assert task["overrides"]["containerOverrides"] == [
        {"name": "bidder", "environment": [{"name": "OPENBID_DEPLOYMENT", "value": "canary"}]}
    ]
    assert after.canary == {address}
    assert after.stable == set()
    assert after.weights == (95, 5)
    assert after.marks == canary_marks(**{"openbid:canary-target": address})
    revision = world.ecs.describe_task_definition(taskDefinition=REV2, include=["TAGS"])
    assert revision["taskDefinition"]["containerDefinitions"][0]["image"] == f"{REPOSITORY}:1.1.0"
    assert {t["key"]: t["value"] for t in revision["tags"]}["openbid:image"] == "1.1.0"

    again = deploy(world, "canary", "--image", "1.1.0")
    assert again.exit_code == 0, again.output
    assert "continuing the canary of openbid-bidder-test:2" in again.output
    assert snapshot(world) == after

    promoted = deploy(world, "promote")
    assert promoted.exit_code == 0, promoted.output
    assert "promoted: the service runs openbid-bidder-test:2" in promoted.output
    done = snapshot(world)
    assert done.revisions == [REV1, REV2]
    assert done.service == REV2
    assert done.primary == (REV2, "COMPLETED")
    assert done.tasks == []
    assert done.canary == set()
    assert done.weights == (100, 0)
    assert done.marks == {
        "openbid:previous-revision": REV1,
        "openbid:promoted-revision": REV2,
    }

    twice = deploy(world, "promote")
    assert twice.exit_code == 0
    assert "already promoted" in twice.output
    assert snapshot(world) == done


def test_task_mode_canary_then_abort(world: World) -> None:
    result = deploy(world, "canary", "--image", "1.1.0", "--mode", "task")
    assert result.exit_code == 0, result.output
    live = snapshot(world)
    (task,) = live.tasks
    assert live.stable == {task_address(task)}
    assert live.canary == set()
    assert live.weights == (100, 0)
    assert live.marks == canary_marks("task", **{"openbid:canary-target": task_address(task)})

    aborted = deploy(world, "abort")
    assert aborted.exit_code == 0, aborted.output
    assert "canary removed; the service runs openbid-bidder-test:1" in aborted.output
    after = snapshot(world)
    assert after.revisions == [REV1, REV2]
    assert after.service == REV1
    assert after.tasks == []
    assert after.stable == set()
    assert after.marks == {}
    stopped = world.ecs.describe_tasks(cluster=CLUSTER, tasks=[task["taskArn"]])["tasks"][0]
    assert stopped["lastStatus"] == "STOPPED"

    again = deploy(world, "abort")
    assert again.exit_code == 0
    assert "nothing to abort" in again.output


def test_promote_then_rollback(world: World) -> None:
    assert deploy(world, "canary", "--image", "1.1.0").exit_code == 0
    assert deploy(world, "promote").exit_code == 0

    result = deploy(world, "rollback")
    assert result.exit_code == 0, result.output
    assert "rolled back: the service runs openbid-bidder-test:1" in result.output
    after = snapshot(world)
    assert after.service == REV1
    assert after.primary == (REV1, "COMPLETED")
    assert after.revisions == [REV1, REV2]
    assert after.marks == {"openbid:rolled-back-from": REV2}

    again = deploy(world, "rollback")
    assert again.exit_code == 0
    assert "already rolled back from openbid-bidder-test:2" in again.output
    assert snapshot(world) == after

    forward = deploy(world, "rollback", "--to", "2")
    assert forward.exit_code == 0, forward.output
    assert snapshot(world).service == REV2


def test_rollback_removes_a_live_canary_and_keeps_the_service(world: World) -> None:
    assert deploy(world, "canary", "--image", "1.1.0").exit_code == 0
    result = deploy(world, "rollback")
    assert result.exit_code == 0, result.output
    after = snapshot(world)
    assert after.service == REV1
    assert after.tasks == []
    assert after.canary == set()
    assert after.weights == (100, 0)
    assert after.marks == {"openbid:rolled-back-from": REV2}


def test_resume_after_crashes_between_steps(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(*_: object) -> None:
        raise Crash

    with monkeypatch.context() as patched:
        patched.setattr(EcsPlatform, "wait_task_running", crash)
        with pytest.raises(Crash):
            deploy(world, "canary", "--image", "1.1.0")
    halfway = snapshot(world)
    (task,) = halfway.tasks
    assert halfway.canary == set()
    assert halfway.weights == (100, 0)
    assert halfway.marks == canary_marks()

    status = deploy(world, "status", "--json")
    assert status.exit_code == 0
    picture = json.loads(status.stdout)
    assert picture["phase"] == "canary starting"
    assert "`canary` again with the same image continues" in picture["next"]

    resumed = deploy(world, "canary", "--image", "1.1.0")
    assert resumed.exit_code == 0, resumed.output
    live = snapshot(world)
    assert [t["taskArn"] for t in live.tasks] == [task["taskArn"]]
    assert live.revisions == [REV1, REV2]
    assert live.canary == {task_address(task)}
    assert live.weights == (95, 5)

    with monkeypatch.context() as patched:
        patched.setattr(EcsPlatform, "wait_rollout", crash)
        with pytest.raises(Crash):
            deploy(world, "promote")
    promoting = snapshot(world)
    assert promoting.service == REV2
    assert promoting.weights == (95, 5)
    assert json.loads(deploy(world, "status", "--json").stdout)["phase"] == "promoting"

    finished = deploy(world, "promote")
    assert finished.exit_code == 0, finished.output
    done = snapshot(world)
    assert done.service == REV2
    assert done.tasks == []
    assert done.weights == (100, 0)
    assert done.marks == {
        "openbid:previous-revision": REV1,
        "openbid:promoted-revision": REV2,
    }


def test_failed_rollout_is_not_success(world: World, controller: RolloutController) -> None:
    assert deploy(world, "canary", "--image", "1.1.0").exit_code == 0
    controller.fail_next()
    result = deploy(world, "promote")
    assert result.exit_code == 1
    assert "rollout of openbid-bidder-test:2 failed" in result.output
    assert "PRIMARY is now openbid-bidder-test:1" in result.output
    after = snapshot(world)
    assert after.service == REV1
    assert len(after.tasks) == 1
    assert after.weights == (95, 5)

    cleaned = deploy(world, "rollback")
    assert cleaned.exit_code == 0, cleaned.output
    final = snapshot(world)
    assert (final.service, final.tasks, final.weights) == (REV1, [], (100, 0))


def test_dry_runs_change_nothing(world: World) -> None:
    idle = snapshot(world)
    result = deploy(world, "canary", "--image", "1.1.0", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "would register task definition openbid-bidder-test:2" in result.output
    assert "would set the listener weights to stable 95, canary 5" in result.output
    assert snapshot(world) == idle

    assert deploy(world, "canary", "--image", "1.1.0").exit_code == 0
    live = snapshot(world)
    for verb, expected in (
        ("promote", "would update the service to openbid-bidder-test:2"),
        ("abort", "would stop task"),
        ("rollback", "would set the listener weights to stable 100, canary 0"),
    ):
        dry = deploy(world, verb, "--dry-run")
        assert dry.exit_code == 0, dry.output
        assert expected in dry.output
        assert "nothing changed" in dry.output
        assert snapshot(world) == live


def test_another_canary_in_the_way(world: World) -> None:
    assert deploy(world, "canary", "--image", "1.1.0").exit_code == 0
    other = deploy(world, "canary", "--image", "1.2.0")
    assert other.exit_code == 1
    assert "a canary of openbid-bidder-test:2 is in place" in other.output
    assert snapshot(world).revisions == [REV1, REV2]


def test_weight_change_continues_the_canary(world: World) -> None:
    assert deploy(world, "canary", "--image", "1.1.0").exit_code == 0
    result = deploy(world, "canary", "--image", "1.1.0", "--weight", "20")
    assert result.exit_code == 0, result.output
    after = snapshot(world)
    assert after.weights == (80, 20)
    assert after.marks["openbid:canary-weight"] == "20"
    assert len(after.tasks) == 1


def test_diff_ignores_what_the_api_fills_in(world: World) -> None:
    same = deploy(world, "diff")
    assert same.exit_code == 0, same.output
    assert "no differences from openbid-bidder-test:1" in same.output
    changed = deploy(world, "diff", "--image", "2.0.0")
    assert changed.exit_code == 0
    assert f'-      "image": "{REPOSITORY}:1.0.0"' in changed.stdout
    assert f'+      "image": "{REPOSITORY}:2.0.0"' in changed.stdout


def test_canary_group_not_on_the_listener(world: World) -> None:
    world.elbv2.modify_listener(
        ListenerArn=world.listener,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": world.stable_group}],
    )
    result = deploy(world, "canary", "--image", "1.1.0")
    assert result.exit_code == 2
    assert "the canary target group is not in the default forward action" in result.output
    after = snapshot(world)
    assert (after.revisions, after.tasks, after.marks) == ([REV1], [], {})

    task_mode = deploy(world, "canary", "--image", "1.1.0", "--mode", "task")
    assert task_mode.exit_code == 0, task_mode.output


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"cluster": "nope"}, "no cluster 'nope'"),
        ({"service": "nope"}, "no service 'nope' in cluster 'openbid-test'"),
        (
            {
                "canary_target_group_arn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:"
                "targetgroup/nope/0123456789abcdef"
            },
            "no target group arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/nope",
        ),
        (
            {
                "listener_arn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:"
                "listener/app/nope/0123456789abcdef/0123456789abcdef"
            },
            "no listener arn:aws:elasticloadbalancing",
        ),
    ],
)
def test_missing_resources_are_named(
    world: World, tmp_path: Path, override: dict[str, str], message: str
) -> None:
    config = json.loads(world.config.read_text())
    config.update(override)
    path = tmp_path / "broken.yaml"
    path.write_text(json.dumps(config))
    for verb in ("status", "canary"):
        args = ("canary", "--image", "1.1.0") if verb == "canary" else (verb,)
        result = deploy(world, *args, config=path)
        assert result.exit_code == 2, result.output
        assert message in result.output
    assert snapshot(world).revisions == [REV1]


def test_bad_config_and_template_are_exit_2(world: World, tmp_path: Path) -> None:
    typo = tmp_path / "typo.yaml"
    typo.write_text(world.config.read_text().replace('"cluster"', '"clustr"'))
    result = deploy(world, "status", config=typo)
    assert result.exit_code == 2
    assert "unknown field `clustr`" in result.output

    template = tmp_path / "taskdef.yaml.j2"
    template.write_text(
        Path(json.loads(world.config.read_text())["task_definition"])
        .read_text()
        .replace("memoryReservation: 1536", "memoryReservaton: 1536")
    )
    bad = write_config(
        tmp_path / "bad-template.yaml",
        task_definition=str(template),
        listener_arn=world.listener,
        canary_target_group_arn=world.canary_group,
    )
    rendered = deploy(world, "canary", "--image", "1.1.0", config=bad)
    assert rendered.exit_code == 2
    assert 'unknown field "memoryReservaton" in containerDefinitions[0]' in rendered.output
    assert 'did you mean "memoryReservation"?' in rendered.output
    assert snapshot(world).revisions == [REV1]


def test_exec_without_the_session_manager_plugin(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert deploy(world, "canary", "--image", "1.1.0").exit_code == 0
    monkeypatch.setenv("PATH", "/nonexistent")
    result = deploy(world, "exec", "--canary")
    assert result.exit_code == 1
    assert "needs the AWS Session Manager plugin (session-manager-plugin)" in result.output


def test_the_installed_command_honours_aws_endpoint_url(world: World) -> None:
    openbid = Path(sys.executable).parent / "openbid"
    environment = {
        **os.environ,
        "AWS_ENDPOINT_URL": world.endpoint,
        "OPENBID_DEPLOY_CONFIG": str(world.config),
    }
    result = subprocess.run(
        [str(openbid), "deploy", "status", "--json"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    picture = json.loads(result.stdout)
    assert picture["phase"] == "idle"
    assert short_revision(picture["service"]["revision"]) == REV1


def test_canary_analysed_and_promoted_on_a_pass(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    with (
        fake_server(bidder_prometheus()) as prometheus,
        fake_server(lambda _: (204, b"")) as webhook,
    ):
        monkeypatch.setenv("OPENBID_PROMETHEUS_URL", prometheus.url)
        result = deploy(
            world, "canary", "--image", "1.1.0", "--analyze", "2s", "--interval", "1s",
            "--auto", "--notify", f"{webhook.url}/hook",
        )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert re.search(
        r"promoted: the service runs openbid-bidder-test:2 — passed after [\d.]+s: score 100",
        result.output,
    )
    after = snapshot(world)
    assert (after.service, after.primary) == (REV2, (REV2, "COMPLETED"))
    assert (after.tasks, after.canary, after.weights) == ([], set(), (100, 0))
    (hook,) = webhook.requests
    assert (hook.method, hook.path) == ("POST", "/hook")
    body = json.loads(hook.body)
    assert (body["revision"], body["decision"]) == (REV2, "promote")
    assert body["done"] == "promoted: the service runs openbid-bidder-test:2"
    assert body["judgement"]["verdict"] == "pass"


def test_canary_analysed_and_rolled_back_on_a_failure(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    with fake_server(bidder_prometheus({"deadline_miss_rate": 5.0})) as prometheus:
        monkeypatch.setenv("OPENBID_PROMETHEUS_URL", prometheus.url)
        result = deploy(
            world, "canary", "--image", "1.1.0", "--analyze", "10m", "--interval", "1s", "--auto",
            "--notify", "http://127.0.0.1:9/nobody",
        )  # fmt: skip
    assert result.exit_code == 3, result.output
    assert re.search(
        r"rolled back: the service runs openbid-bidder-test:1 — failed after [\d.]+s: critical "
        r"metric failed: deadline_miss_rate \(higher:",
        " ".join(result.output.split()),
    )
    assert "warning: notification not delivered: cannot reach http://127.0.0.1:9/nobody" in (
        result.output
    )
    after = snapshot(world)
    assert after.service == REV1
    assert (after.tasks, after.canary, after.weights) == ([], set(), (100, 0))
    assert after.marks == {"openbid:rolled-back-from": REV2}


def test_analysis_without_auto_leaves_the_canary(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    with fake_server(bidder_prometheus({"error_rate": 5.0})) as prometheus:
        monkeypatch.setenv("OPENBID_PROMETHEUS_URL", prometheus.url)
        result = deploy(world, "canary", "--image", "1.1.0", "--analyze", "1s")
    assert result.exit_code == 3, result.output
    assert "analysis of openbid-bidder-test:2: rollback" in result.output
    assert snapshot(world).weights == (95, 5)


def test_auto_needs_analyze(world: World) -> None:
    result = deploy(world, "canary", "--image", "1.1.0", "--auto")
    assert result.exit_code == 2
    assert "needs --analyze DURATION" in result.output
    assert snapshot(world).revisions == [REV1]
