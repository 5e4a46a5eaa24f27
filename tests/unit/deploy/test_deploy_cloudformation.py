"""infra/cloudformation/openbid.yaml: cfn-lint clean, and the pieces the deploy relies on."""

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

TEMPLATE = Path(__file__).resolve().parents[3] / "infra" / "cloudformation" / "openbid.yaml"


class TemplateLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags: ``!Ref X`` reads as ``{"Ref": "X"}``."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = suffix if suffix == "Ref" else f"Fn::{suffix}"
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


TemplateLoader.add_multi_constructor("!", _intrinsic)


@pytest.fixture(scope="module")
def resources() -> dict[str, Any]:
    """The template's resources."""
    template = yaml.load(TEMPLATE.read_text(), Loader=TemplateLoader)
    found: dict[str, Any] = template["Resources"]
    return found


def props(resources: dict[str, Any], name: str) -> Any:
    """One resource's properties."""
    return resources[name]["Properties"]


def test_cfn_lint_is_clean() -> None:
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    result = subprocess.run(
        [str(cfn_lint), str(TEMPLATE)], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_listener_forwards_to_stable_and_canary_by_weight(resources: dict[str, Any]) -> None:
    (action,) = props(resources, "Listener")["DefaultActions"]
    assert action["Type"] == "forward"
    weights = {
        group["TargetGroupArn"]["Ref"]: group["Weight"]
        for group in action["ForwardConfig"]["TargetGroups"]
    }
    assert weights == {"StableTargetGroup": 100, "CanaryTargetGroup": 0}


@pytest.mark.parametrize("group", ["StableTargetGroup", "CanaryTargetGroup"])
def test_target_groups_check_readyz_on_ip_targets(resources: dict[str, Any], group: str) -> None:
    properties = props(resources, group)
    assert properties["TargetType"] == "ip"
    assert properties["HealthCheckPath"] == "/readyz"
    assert properties["Port"] == 8080
    attributes = {a["Key"]: a["Value"] for a in properties["TargetGroupAttributes"]}
    assert int(attributes["deregistration_delay.timeout_seconds"]) <= 30


def test_service_rolls_back_on_failure_and_allows_exec(resources: dict[str, Any]) -> None:
    service = props(resources, "Service")
    breaker = service["DeploymentConfiguration"]["DeploymentCircuitBreaker"]
    assert breaker == {"Enable": True, "Rollback": True}
    assert service["EnableExecuteCommand"] is True
    assert service["LaunchType"] == "FARGATE"
    (balancer,) = service["LoadBalancers"]
    assert balancer["ContainerName"] == "bidder"
    assert balancer["TargetGroupArn"] == {"Ref": "StableTargetGroup"}
    settings = props(resources, "Cluster")["ClusterSettings"]
    assert {"Name": "containerInsights", "Value": "enabled"} in settings


def test_autoscaling_tracks_cpu_and_requests_per_target(resources: dict[str, Any]) -> None:
    metrics = {
        props(resources, name)["TargetTrackingScalingPolicyConfiguration"][
            "PredefinedMetricSpecification"
        ]["PredefinedMetricType"]
        for name, resource in resources.items()
        if resource["Type"] == "AWS::ApplicationAutoScaling::ScalingPolicy"
    }
    assert metrics == {"ECSServiceAverageCPUUtilization", "ALBRequestCountPerTarget"}


def test_the_rest_of_the_system_is_there(resources: dict[str, Any]) -> None:
    types = {resource["Type"] for resource in resources.values()}
    assert {
        "AWS::ECR::Repository",
        "AWS::ElastiCache::ReplicationGroup",
        "AWS::S3::Bucket",
        "AWS::IAM::Role",
        "AWS::ECS::Cluster",
    } <= types
    assert "LifecyclePolicyText" in props(resources, "Repository")["LifecyclePolicy"]


def test_task_role_writes_events_and_allows_exec(resources: dict[str, Any]) -> None:
    actions = {
        action
        for policy in props(resources, "TaskRole")["Policies"]
        for statement in policy["PolicyDocument"]["Statement"]
        for action in (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
    }
    assert "s3:PutObject" in actions
    assert {"ssmmessages:CreateControlChannel", "ssmmessages:OpenDataChannel"} <= actions


def test_ssm_parameters_feed_the_example_configs(resources: dict[str, Any]) -> None:
    deploy_yaml = "".join(
        (TEMPLATE.parents[1] / name).read_text() for name in ("deploy.yaml", "canary.yaml")
    )
    names = {
        props(resources, name)["Name"]["Fn::Sub"].rsplit("/", 1)[-1]
        for name, resource in resources.items()
        if resource["Type"] == "AWS::SSM::Parameter"
    }
    for name in names:
        assert f"'{name}'" in deploy_yaml, name
