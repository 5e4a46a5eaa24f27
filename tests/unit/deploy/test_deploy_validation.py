"""The rendered task definition is checked before any AWS call: botocore's model of
RegisterTaskDefinition first, then what a Fargate bidder task needs."""

import copy
from pathlib import Path
from typing import Any

import pytest
from deploy_fixtures import make_config

from openbid.deploy.config import DeployConfig
from openbid.deploy.errors import ConfigError
from openbid.deploy.taskdef import (
    bidder_problems,
    botocore_problems,
    check_task_definition,
    render_task_definition,
)
from openbid.deploy.templating import Lookups


@pytest.fixture
def config(tmp_path: Path) -> DeployConfig:
    """The test service's config on the real template."""
    return make_config(tmp_path)


@pytest.fixture
def definition(config: DeployConfig) -> dict[str, Any]:
    """A valid rendered task definition."""
    return render_task_definition(config, "1.4.2", Lookups())


def test_the_rendered_template_is_valid(definition: dict[str, Any], config: DeployConfig) -> None:
    assert botocore_problems(definition) == []
    assert bidder_problems(definition, config) == []


def test_a_misspelled_field_gets_a_suggestion(definition: dict[str, Any]) -> None:
    broken = copy.deepcopy(definition)
    broken["containerDefinitions"][0]["imag"] = broken["containerDefinitions"][0].pop("image")
    assert botocore_problems(broken) == [
        'unknown field "imag" in containerDefinitions[0] (did you mean "image"?)'
    ]


def test_a_wrong_type_says_which_types_fit(definition: dict[str, Any]) -> None:
    broken = copy.deepcopy(definition)
    broken["cpu"] = 1024
    broken["containerDefinitions"][0]["portMappings"][0]["containerPort"] = "8080"
    assert botocore_problems(broken) == [
        "Invalid type for parameter cpu, value: 1024, type: int, valid types: str",
        "Invalid type for parameter containerDefinitions[0].portMappings[0].containerPort, "
        "value: 8080, type: str, valid types: int",
    ]


def test_a_missing_required_field(definition: dict[str, Any]) -> None:
    broken = copy.deepcopy(definition)
    del broken["family"]
    assert botocore_problems(broken) == ['Missing required parameter in input: "family"']


def test_problems_are_listed_in_one_error(definition: dict[str, Any], config: DeployConfig) -> None:
    broken = copy.deepcopy(definition)
    broken["networkModee"] = "awsvpc"
    broken["containerDefinitions"][1]["essentiall"] = True
    with pytest.raises(ConfigError) as raised:
        check_task_definition(broken, config, source="infra/taskdef.yaml.j2")
    assert str(raised.value) == (
        "task definition rendered from infra/taskdef.yaml.j2 is not valid:\n"
        '  - unknown field "networkModee" in input (did you mean "networkMode"?)\n'
        '  - unknown field "essentiall" in containerDefinitions[1] (did you mean "essential"?)'
    )


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda d: d.update(requiresCompatibilities=["EC2"]), 'must include "FARGATE"'),
        (lambda d: d.update(networkMode="bridge"), 'networkMode must be "awsvpc"'),
        (
            lambda d: d["containerDefinitions"][0].update(name="api"),
            "no container named 'bidder'",
        ),
        (
            lambda d: d["containerDefinitions"][0]["portMappings"][0].update(containerPort=9090),
            "does not map port 8080",
        ),
        (
            lambda d: d["containerDefinitions"][0].update(stopTimeout=20),
            "stopTimeout (20) must exceed OPENBID_DRAIN_SECONDS (20)",
        ),
        (
            lambda d: d["containerDefinitions"][0].pop("stopTimeout"),
            "stopTimeout (None) must exceed",
        ),
        (lambda d: d["containerDefinitions"][2].pop("image"), "(log-router) has no image"),
    ],
)
def test_what_a_bidder_task_needs(
    definition: dict[str, Any], config: DeployConfig, change: Any, problem: str
) -> None:
    broken = copy.deepcopy(definition)
    change(broken)
    assert any(problem in p for p in bidder_problems(broken, config)), bidder_problems(
        broken, config
    )
