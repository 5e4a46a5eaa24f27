"""The deploy CLI on the local platform: readable errors when nothing runs there."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from openbid.cli import app
from openbid.deploy.local.layout import StateDir

runner = CliRunner()


@pytest.mark.parametrize(
    "verb",
    [
        ["status"],
        ["promote"],
        ["rollback"],
        ["abort"],
        ["analyze"],
        ["canary", "--image", "v2"],
    ],
)
def test_verbs_without_a_local_deployment_say_how_to_start_one(
    tmp_path: Path, verb: list[str]
) -> None:
    state = tmp_path / "state"
    result = runner.invoke(app, ["deploy", *verb, "--platform", "local", "--state-dir", str(state)])
    assert result.exit_code == 2, result.output
    assert "openbid deploy local up" in result.output
    assert "Traceback" not in result.output


def test_no_deployment_is_exit_2_and_a_silent_haproxy_exit_1(
    tmp_path: Path,
) -> None:
    result = runner.invoke(app, ["deploy", "local", "down", "--state-dir", str(tmp_path)])
    assert result.exit_code == 2
    state = StateDir.at(tmp_path)
    state.settings.write_text(
        '{"port": 1, "prometheus_port": 2, "stable_tasks": 1, "admin_token": "t", '
        '"signing_keys": "k:v"}'
    )
    state.service.write_text('{"revision": "openbid-local:1"}')
    result = runner.invoke(
        app, ["deploy", "status", "--platform", "local", "--state-dir", str(tmp_path)]
    )
    assert result.exit_code == 1
    assert "HAProxy's runtime API" in result.output


def test_diff_is_for_ecs_only() -> None:
    result = runner.invoke(app, ["deploy", "diff", "--platform", "local"])
    assert result.exit_code == 2
    assert "ECS" in result.output
