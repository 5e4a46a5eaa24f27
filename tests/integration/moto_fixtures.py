"""A moto server on loopback for the deploy tests, and what moto cannot do, done here openly.

moto (5.2) models task definitions, ``run_task`` with an ENI address, ELBv2 target groups and
weighted listeners, and target registration; the CLI talks to it over HTTP exactly as to AWS.
Where moto stops, this module steps in, and every step is listed here:

1. **Task states.** moto advances an ECS task one state per ``DescribeTasks`` call (RUNNING,
   DEACTIVATING, ... STOPPED), so a canary would stop while it is being watched. The server's
   state manager is set (over its own HTTP API) to advance tasks only after a billion looks:
   a task stays RUNNING until it is stopped.
2. **Service rollouts.** moto's ``UpdateService`` changes the service's task definition, but its
   PRIMARY deployment keeps the old one, and no deployment (the first included) ever completes.
   ``RolloutController`` plays ECS's deployment controller from a thread: it completes a PRIMARY
   deployment left IN_PROGRESS, and when a service's task definition differs from its PRIMARY
   deployment's, it replaces the deployments with one COMPLETED PRIMARY of the new revision —
   or, when told to, fails it the way the circuit breaker does (the failed deployment marked
   FAILED, the old revision PRIMARY again). The server runs in this process (moto's
   ``ThreadedMotoServer``, the same server ``moto_server`` runs) so the controller can reach
   moto's ECS backend.
3. **ENI addresses.** ``run_task`` gives a task an address only in a VPC with DNS hostnames
   enabled: the world built here enables them.
4. **Not modelled at all, so not tested here:** target health checks (every registered target is
   ``healthy`` at once), draining (deregistered targets vanish at once), ECS Exec, and the real
   pace of rollouts. The waiting logic is unit-tested against recorded responses instead, and
   deployment behaviour is the local platform's to test.
"""

import json
import logging
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
from moto.ecs.models import ecs_backends
from moto.server import ThreadedMotoServer

from openbid.deploy.config import load_config
from openbid.deploy.taskdef import render_task_definition
from openbid.deploy.templating import Lookups

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_ecs import ECSClient
    from mypy_boto3_elbv2 import ElasticLoadBalancingv2Client

ACCOUNT = "123456789012"
"""moto's default account."""
REGION = "us-east-1"
CLUSTER = "openbid-test"
SERVICE = "openbid-bidder-test"
FAMILY = "openbid-bidder-test"
REPOSITORY = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/openbid"
TEMPLATE = Path(__file__).resolve().parents[2] / "infra" / "taskdef.yaml.j2"
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_REGION": REGION,
    "AWS_DEFAULT_REGION": REGION,
}


class MotoServer:
    """moto's server on a free loopback port, in this process."""

    def __init__(self) -> None:
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        logging.getLogger("werkzeug").setLevel(logging.ERROR)

    def start(self) -> None:
        """Start serving and keep tasks RUNNING until stopped (workaround 1)."""
        self._server.start()
        self._post(
            "/moto-api/state-manager/set-transition",
            {"model_name": "ecs::task", "transition": {"progression": "manual", "times": 10**9}},
        )

    def stop(self) -> None:
        """Stop serving."""
        self._server.stop()

    @property
    def url(self) -> str:
        """The endpoint URL clients and the CLI use."""
        host, port = self._server.get_host_and_port()
        return f"http://{host}:{port}"

    def reset(self) -> None:
        """Forget every resource (the state manager's settings stay)."""
        self._post("/moto-api/reset", {})

    def _post(self, path: str, body: dict[str, Any]) -> None:
        request = urllib.request.Request(
            self.url + path, data=json.dumps(body).encode(), method="POST"
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()


class RolloutController:
    """ECS's deployment controller, as far as these tests need one (workaround 2)."""

    def __init__(self, interval: float = 0.01) -> None:
        self._interval = interval
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._failures = 0
        self._thread = threading.Thread(target=self._run, name="rollout-controller", daemon=True)

    def start(self) -> None:
        """Start watching services."""
        self._thread.start()

    def stop(self) -> None:
        """Stop watching."""
        self._stop.set()
        self._thread.join(timeout=5)

    def fail_next(self) -> None:
        """Make the next rollout fail and roll back, as the circuit breaker would."""
        with self._lock:
            self._failures += 1

    def reset(self) -> None:
        """Forget pending failures."""
        with self._lock:
            self._failures = 0

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            for service in list(ecs_backends[ACCOUNT][REGION].services.values()):
                self._roll_out(service)

    def _roll_out(self, service: Any) -> None:
        deployments: list[dict[str, Any]] = service.deployments
        if not deployments:
            return
        old, new = deployments[0], dict(deployments[0])
        new.update(
            desiredCount=service.desired_count,
            runningCount=service.desired_count,
            pendingCount=0,
            rolloutState="COMPLETED",
            rolloutStateReason="ECS deployment completed.",
        )
        service.running_count, service.pending_count = service.desired_count, 0
        if old["taskDefinition"] == service.task_definition:
            if old["rolloutState"] == "IN_PROGRESS":
                service.deployments = [new]
            return
        new.update(id=f"{old['id']}-next", taskDefinition=service.task_definition)
        with self._lock:
            failing = self._failures > 0
            self._failures -= int(failing)
        if not failing:
            service.deployments = [new]
            return
        new.update(
            status="ACTIVE",
            runningCount=0,
            rolloutState="FAILED",
            rolloutStateReason="ECS deployment circuit breaker: tasks failed to start.",
        )
        service.task_definition = old["taskDefinition"]
        service.deployments = [dict(old, id=f"{old['id']}-rollback"), new]


@dataclass(frozen=True)
class World:
    """The AWS side of one test: a VPC, an ALB with two target groups, a cluster and service."""

    endpoint: str
    config: Path
    listener: str
    stable_group: str
    canary_group: str
    ecs: "ECSClient"
    elbv2: "ElasticLoadBalancingv2Client"


def _client_args(endpoint: str) -> dict[str, Any]:
    return {
        "endpoint_url": endpoint,
        "region_name": REGION,
        "aws_access_key_id": "testing",
        "aws_secret_access_key": "testing",
    }


def _ec2(endpoint: str) -> "EC2Client":
    client: EC2Client = boto3.client("ec2", **_client_args(endpoint))
    return client


def write_config(path: Path, **overrides: str) -> Path:
    """A deploy config for the world's names, the real template, and fast, short waits."""
    values = {
        "family": FAMILY,
        "stage": "test",
        "execution_role_arn": f"arn:aws:iam::{ACCOUNT}:role/openbid-execution",
        "task_role_arn": f"arn:aws:iam::{ACCOUNT}:role/openbid-task",
        "log_group": "/openbid/test",
        "events_bucket": "openbid-events-test",
        "notice_url": "https://bid.example.com",
        "signing_keys_arn": f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:keys",
        "catalog_url_arn": f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:catalog",
        "datadog_api_key_arn": f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:dd",
    }
    config = {
        "region": REGION,
        "cluster": CLUSTER,
        "service": SERVICE,
        "task_definition": str(TEMPLATE),
        "image_repository": REPOSITORY,
        "listener_arn": "",
        "canary_target_group_arn": "",
        "waits": {
            "task_running": 5,
            "target_healthy": 5,
            "rollout": 5,
            "drained": 5,
            "interval": 0.02,
        },
        "values": values,
    }
    config.update(overrides)
    path.write_text(json.dumps(config, indent=2))
    return path


def build_world(endpoint: str, directory: Path, first_image: str = "1.0.0") -> World:
    """Create the world and a config for it; the service runs ``first_image`` (revision 1)."""
    ec2 = _ec2(endpoint)
    ecs: ECSClient = boto3.client("ecs", **_client_args(endpoint))
    elbv2: ElasticLoadBalancingv2Client = boto3.client("elbv2", **_client_args(endpoint))
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})  # workaround 3
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{n}.0/24", AvailabilityZone=f"{REGION}{az}")[
            "Subnet"
        ]["SubnetId"]
        for n, az in ((1, "a"), (2, "b"))
    ]
    group = ec2.create_security_group(GroupName="openbid", Description="bidder", VpcId=vpc)
    balancer = elbv2.create_load_balancer(Name="openbid-test", Subnets=subnets)
    balancer_arn = balancer["LoadBalancers"][0]["LoadBalancerArn"]
    groups = {
        pool: elbv2.create_target_group(
            Name=f"openbid-test-{pool}",
            TargetType="ip",
            Protocol="HTTP",
            Port=8080,
            VpcId=vpc,
            HealthCheckPath="/readyz",
        )["TargetGroups"][0]["TargetGroupArn"]
        for pool in ("stable", "canary")
    }
    listener = elbv2.create_listener(
        LoadBalancerArn=balancer_arn,
        Protocol="HTTP",
        Port=80,
        DefaultActions=[
            {
                "Type": "forward",
                "ForwardConfig": {
                    "TargetGroups": [
                        {"TargetGroupArn": groups["stable"], "Weight": 100},
                        {"TargetGroupArn": groups["canary"], "Weight": 0},
                    ]
                },
            }
        ],
    )["Listeners"][0]["ListenerArn"]
    config_path = write_config(
        directory / "deploy.yaml", listener_arn=listener, canary_target_group_arn=groups["canary"]
    )
    config = load_config(config_path, Lookups())
    ecs.create_cluster(clusterName=CLUSTER)
    first = render_task_definition(config, first_image, Lookups())
    revision = ecs.register_task_definition(**first)["taskDefinition"]["taskDefinitionArn"]
    ecs.create_service(
        cluster=CLUSTER,
        serviceName=SERVICE,
        taskDefinition=revision,
        desiredCount=2,
        launchType="FARGATE",
        enableExecuteCommand=True,
        networkConfiguration={
            "awsvpcConfiguration": {
                "subnets": subnets,
                "securityGroups": [group["GroupId"]],
                "assignPublicIp": "DISABLED",
            }
        },
        loadBalancers=[
            {"targetGroupArn": groups["stable"], "containerName": "bidder", "containerPort": 8080}
        ],
    )
    return World(endpoint, config_path, listener, groups["stable"], groups["canary"], ecs, elbv2)


@contextmanager
def moto_environment() -> Iterator[tuple[MotoServer, RolloutController]]:
    """A running moto server and rollout controller; both stopped on the way out."""
    server = MotoServer()
    server.start()
    controller = RolloutController()
    controller.start()
    try:
        yield server, controller
    finally:
        controller.stop()
        server.stop()
