"""The diff between the rendered task definition and the live one ignores what the ECS API
fills in on its own (tested against the shape of a real DescribeTaskDefinition response)."""

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from deploy_fixtures import make_config

from openbid.deploy.config import DeployConfig
from openbid.deploy.diff import diff_lines
from openbid.deploy.taskdef import comparable, render_task_definition
from openbid.deploy.templating import Lookups

RESPONSE = Path(__file__).parent / "responses" / "describe-task-definition.json"


@pytest.fixture
def config(tmp_path: Path) -> DeployConfig:
    """The test service's config on the real template."""
    return make_config(tmp_path)


@pytest.fixture
def live() -> dict[str, Any]:
    """The described task definition: response-only fields, API defaults, env reordered."""
    described: dict[str, Any] = json.loads(RESPONSE.read_text())["taskDefinition"]
    return described


def test_registering_the_same_definition_changes_nothing(
    config: DeployConfig, live: dict[str, Any]
) -> None:
    rendered = render_task_definition(config, "1.4.2", Lookups())
    assert comparable(live) == comparable(rendered)
    assert diff_lines(live, rendered, "openbid-bidder-test:7") == []


def test_an_image_change_is_one_line_each_way(config: DeployConfig, live: dict[str, Any]) -> None:
    rendered = render_task_definition(config, "1.5.0", Lookups())
    lines = diff_lines(live, rendered, "openbid-bidder-test:7")
    assert lines[:2] == ["--- openbid-bidder-test:7", "+++ rendered"]
    changed = [line for line in lines[2:] if line[:1] in "+-"]
    assert [line for line in changed if "image" in line] == [
        '-      "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/openbid:1.4.2",',
        '+      "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/openbid:1.5.0",',
    ]
    assert all("DD_VERSION" in line or "1.4.2" in line or "1.5.0" in line for line in changed)


def test_environment_changes_show_by_name(config: DeployConfig, live: dict[str, Any]) -> None:
    rendered = render_task_definition(config, "1.4.2", Lookups())
    bidder = rendered["containerDefinitions"][0]
    bidder["environment"].append({"name": "OPENBID_LOG_FORMAT", "value": "json"})
    lines = diff_lines(live, rendered, "live")
    added = [line for line in lines if line.startswith("+") and not line.startswith("+++")]
    assert any('"OPENBID_LOG_FORMAT"' in line for line in added)


@pytest.mark.parametrize(
    "default",
    [
        lambda c: c.update(cpu=0),
        lambda c: c.update(essential=True),
        lambda c: c.update(mountPoints=[], volumesFrom=[], systemControls=[]),
        lambda c: c.update(environment=[]),
    ],
)
def test_api_defaults_on_a_container_are_ignored(default: Any) -> None:
    bare = {"family": "f", "containerDefinitions": [{"name": "sidecar", "image": "x:1"}]}
    filled = copy.deepcopy(bare)
    default(filled["containerDefinitions"][0])
    assert comparable(filled) == comparable(bare)


def test_port_mapping_defaults_are_ignored() -> None:
    bare: dict[str, Any] = {
        "family": "f",
        "containerDefinitions": [{"name": "b", "portMappings": [{"containerPort": 80}]}],
    }
    filled = copy.deepcopy(bare)
    filled["containerDefinitions"][0]["portMappings"][0].update(hostPort=80, protocol="tcp")
    assert comparable(filled) == comparable(bare)


def test_a_real_difference_is_kept() -> None:
    one = {"family": "f", "containerDefinitions": [{"name": "b", "essential": False}]}
    other = {"family": "f", "containerDefinitions": [{"name": "b"}]}
    assert comparable(one) != comparable(other)


def test_response_only_fields_and_tags_are_ignored(live: dict[str, Any]) -> None:
    assert "taskDefinitionArn" not in comparable(live)
    assert "revision" not in comparable(live)
    assert "registeredAt" not in comparable(live)
    assert "tags" not in comparable({**live, "tags": [{"key": "a", "value": "b"}]})
