"""The ECS platform's calls and error translation, against botocore's Stubber (no network)."""

import io
import json
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.stub import ANY, Stubber
from deploy_fixtures import make_config
from rich.console import Console

from openbid.deploy.config import DeployConfig
from openbid.deploy.ecs import EcsPlatform
from openbid.deploy.errors import (
    MissingResourceError,
    PermissionDeniedError,
    ToolMissingError,
)
from openbid.deploy.platform import Target, Task

if TYPE_CHECKING:
    from mypy_boto3_ecs import ECSClient
    from mypy_boto3_elbv2 import ElasticLoadBalancingv2Client

ACCOUNT = "123456789012"
STABLE = f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:targetgroup/stable/1"
REV = f"arn:aws:ecs:us-east-1:{ACCOUNT}:task-definition/openbid-bidder-test"
TASK = f"arn:aws:ecs:us-east-1:{ACCOUNT}:task/openbid-test/0123abcd"
SERVICE = {
    "serviceName": "openbid-bidder-test",
    "serviceArn": f"arn:aws:ecs:us-east-1:{ACCOUNT}:service/openbid-test/openbid-bidder-test",
    "status": "ACTIVE",
    "taskDefinition": f"{REV}:1",
    "loadBalancers": [{"targetGroupArn": STABLE, "containerName": "bidder", "containerPort": 8080}],
}


class Stubbed:
    """An ECS platform on stubbed clients."""

    def __init__(self, config: DeployConfig) -> None:
        self.config = config
        self.ecs_client: ECSClient = boto3.client(
            "ecs", region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t"
        )
        self.elb_client: ElasticLoadBalancingv2Client = boto3.client(
            "elbv2", region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t"
        )
        self.ecs = Stubber(self.ecs_client)
        self.elb = Stubber(self.elb_client)
        self.platform = EcsPlatform(
            config, self.ecs_client, self.elb_client, Console(file=io.StringIO())
        )


@pytest.fixture
def stubbed(tmp_path: Path) -> Iterator[Stubbed]:
    """Stubbed clients (every call must be expected) and the platform on them."""
    stubs = Stubbed(make_config(tmp_path))
    with stubs.ecs, stubs.elb:
        yield stubs
        stubs.ecs.assert_no_pending_responses()
        stubs.elb.assert_no_pending_responses()


def test_access_denied_is_a_permission_error(stubbed: Stubbed) -> None:
    stubbed.ecs.add_client_error(
        "describe_services",
        service_error_code="AccessDeniedException",
        service_message="User: arn:aws:sts::123456789012:assumed-role/ci is not authorized to "
        "perform: ecs:DescribeServices",
    )
    with pytest.raises(PermissionDeniedError) as raised:
        stubbed.platform.service()
    assert "AWS refused DescribeServices (AccessDeniedException)" in str(raised.value)
    assert "not authorized to perform: ecs:DescribeServices" in str(raised.value)
    assert raised.value.exit_code == 1


def test_a_missing_cluster_is_named(stubbed: Stubbed) -> None:
    stubbed.ecs.add_client_error("describe_services", service_error_code="ClusterNotFoundException")
    with pytest.raises(MissingResourceError, match="no cluster 'openbid-test' in us-east-1"):
        stubbed.platform.service()


def test_a_missing_service_is_named(stubbed: Stubbed) -> None:
    stubbed.ecs.add_response(
        "describe_services",
        {"services": [], "failures": [{"arn": "x", "reason": "MISSING"}]},
    )
    with pytest.raises(MissingResourceError, match="no service 'openbid-bidder-test'"):
        stubbed.platform.service()


def test_latest_revision_ignores_families_sharing_the_prefix(stubbed: Stubbed) -> None:
    stubbed.ecs.add_response(
        "list_task_definitions",
        {
            "taskDefinitionArns": [
                f"{REV}:3",
                f"{REV}-shadow:9",
                f"{REV}:12",
            ]
        },
        {"familyPrefix": "openbid-bidder-test", "status": "ACTIVE"},
    )
    stubbed.ecs.add_response(
        "describe_task_definition",
        {
            "taskDefinition": {
                "taskDefinitionArn": f"{REV}:12",
                "family": "openbid-bidder-test",
                "revision": 12,
                "containerDefinitions": [{"name": "bidder", "image": "x:1"}],
                "status": "ACTIVE",
            },
            "tags": [],
        },
        {"taskDefinition": f"{REV}:12", "include": ["TAGS"]},
    )
    latest = stubbed.platform.latest_revision("openbid-bidder-test")
    assert latest is not None
    assert latest.name == "openbid-bidder-test:12"
    assert latest.image("bidder") == "x:1"
    assert "status" not in latest.definition


def test_canary_weight_keeps_the_other_actions_and_stickiness(stubbed: Stubbed) -> None:
    config = stubbed.config
    stubbed.ecs.add_response("describe_services", {"services": [SERVICE], "failures": []})
    stickiness = {"Enabled": True, "DurationSeconds": 60}
    authenticate: dict[str, Any] = {
        "Type": "authenticate-oidc",
        "Order": 1,
        "AuthenticateOidcConfig": {
            "Issuer": "https://issuer",
            "AuthorizationEndpoint": "https://issuer/auth",
            "TokenEndpoint": "https://issuer/token",
            "UserInfoEndpoint": "https://issuer/user",
            "ClientId": "client",
        },
    }
    forward = {
        "Type": "forward",
        "Order": 2,
        "ForwardConfig": {
            "TargetGroups": [
                {"TargetGroupArn": STABLE, "Weight": 100},
                {"TargetGroupArn": config.canary_target_group_arn, "Weight": 0},
            ],
            "TargetGroupStickinessConfig": stickiness,
        },
    }
    stubbed.elb.add_response(
        "describe_listeners",
        {
            "Listeners": [
                {"ListenerArn": config.listener_arn, "DefaultActions": [authenticate, forward]}
            ]
        },
    )
    stubbed.elb.add_response(
        "modify_listener",
        {},
        {
            "ListenerArn": config.listener_arn,
            "DefaultActions": [
                authenticate,
                {
                    "Type": "forward",
                    "Order": 2,
                    "ForwardConfig": {
                        "TargetGroups": [
                            {"TargetGroupArn": STABLE, "Weight": 80},
                            {"TargetGroupArn": config.canary_target_group_arn, "Weight": 20},
                        ],
                        "TargetGroupStickinessConfig": stickiness,
                    },
                },
            ],
        },
    )
    stubbed.platform.set_canary_weight(20)


def _plugin(directory: Path, record: Path) -> None:
    """A stand-in session-manager-plugin that records how it was called."""
    script = directory / "session-manager-plugin"
    script.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = "--version" ]; then echo 1.2.650.0; exit 0; fi\n'
        f'printf "%s\\n" "$@" > {record}\n'
        f'printf "%s" "$AWS_SSM_START_SESSION_RESPONSE" > {record}.env\n'
        "exit 3\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)


def test_exec_hands_the_session_to_the_plugin(
    stubbed: Stubbed, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = tmp_path / "called"
    _plugin(tmp_path, record)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    stubbed.ecs.add_response(
        "describe_tasks",
        {"tasks": [{"taskArn": TASK, "containers": [{"name": "bidder", "runtimeId": "rt-9"}]}]},
        {"cluster": "openbid-test", "tasks": [TASK]},
    )
    session = {"sessionId": "s-1", "streamUrl": "wss://ssm", "tokenValue": "secret"}
    stubbed.ecs.add_response(
        "execute_command",
        {
            "clusterArn": f"arn:aws:ecs:us-east-1:{ACCOUNT}:cluster/openbid-test",
            "taskArn": TASK,
            "containerName": "bidder",
            "interactive": True,
            "session": session,
        },
        {
            "cluster": "openbid-test",
            "task": TASK,
            "container": "bidder",
            "interactive": True,
            "command": ANY,
        },
    )
    task = Task(TASK, f"{REV}:2", "RUNNING", "RUNNING", Target("10.0.1.5", 8080))
    assert stubbed.platform.exec(task, "bidder", "/bin/sh") == 3
    arguments = record.read_text().splitlines()
    assert arguments[0] == "AWS_SSM_START_SESSION_RESPONSE"
    assert arguments[1:4] == ["us-east-1", "StartSession", ""]
    assert json.loads(arguments[4]) == {"Target": "ecs:openbid-test_0123abcd_rt-9"}
    assert arguments[5] == "https://ecs.us-east-1.amazonaws.com"
    assert json.loads(Path(f"{record}.env").read_text()) == session


def test_exec_without_the_plugin_calls_nothing(
    stubbed: Stubbed, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    task = Task(TASK, f"{REV}:2", "RUNNING", "RUNNING", None)
    with pytest.raises(ToolMissingError, match="session-manager-plugin"):
        stubbed.platform.exec(task, "bidder", "/bin/sh")
