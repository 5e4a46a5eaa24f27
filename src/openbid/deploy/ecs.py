"""The ECS platform: an ECS service behind an ALB listener that forwards to two target groups.

This module drives ECS (revisions, the service, canary tasks); ``alb`` the listener and target
groups, ``ecs_exec`` the Session Manager plugin.

The stable pool is the service's own target group; the canary pool is the config's
``canary_target_group_arn``, which the listener's default forward action must list (at weight 0
when no canary runs). Canary tasks are started with ``run_task`` where the service's tasks run,
marked by ``startedBy`` and an ``openbid:canary`` tag; deploy state lives in tags on the service.
"""

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from rich.console import Console

from openbid.deploy.alb import LoadBalancer
from openbid.deploy.aws import aws_errors
from openbid.deploy.config import DeployConfig
from openbid.deploy.ecs_exec import exec_in_task
from openbid.deploy.errors import (
    ConfigError,
    DeployError,
    MissingResourceError,
)
from openbid.deploy.platform import (
    Deployment,
    Pool,
    Revision,
    Service,
    Target,
    Task,
    Traffic,
    short_revision,
)
from openbid.deploy.taskdef import TaskDefinition, register_fields
from openbid.deploy.wait import (
    judge_rollout,
    judge_task_running,
    poll,
)

if TYPE_CHECKING:
    from mypy_boto3_ecs import ECSClient
    from mypy_boto3_ecs.type_defs import (
        AwsVpcConfigurationTypeDef,
        ContainerOverrideTypeDef,
        DescribeServicesResponseTypeDef,
        DescribeTasksResponseTypeDef,
        ListTasksRequestPaginateTypeDef,
        ServiceTypeDef,
        TagTypeDef,
        TaskTypeDef,
    )
    from mypy_boto3_elbv2 import ElasticLoadBalancingv2Client

CANARY_TAG = "openbid:canary"
REVISION_TAG = "openbid:revision"
DEPLOYMENT_VARIABLE = "OPENBID_DEPLOYMENT"
_REVISION_ARN = re.compile(r".*:task-definition/(?P<family>[^:]+):(?P<number>\d+)$")


def started_by(service: str) -> str:
    """The ``startedBy`` of this service's canary tasks (ECS allows 128 characters)."""
    return f"openbid-canary/{service}"[:128]


def _tags(mapping: Mapping[str, str]) -> list["TagTypeDef"]:
    return [{"key": key, "value": value} for key, value in mapping.items()]


def _revision_number(arn: str, family: str) -> int | None:
    match = _REVISION_ARN.fullmatch(arn)
    if match is None or match["family"] != family:
        return None
    return int(match["number"])


class EcsPlatform:
    """``Platform`` on ECS/Fargate and an Application Load Balancer."""

    def __init__(
        self,
        config: DeployConfig,
        ecs: "ECSClient",
        elbv2: "ElasticLoadBalancingv2Client",
        console: Console,
    ) -> None:
        self._config = config
        self._ecs = ecs
        self._balancer = LoadBalancer(elbv2, config.listener_arn, config.waits, console)
        self._console = console
        self._stable_group: str | None = None

    # What is there.

    def _describe_service(self) -> "ServiceTypeDef":
        cluster, name = self._config.cluster, self._config.service
        with aws_errors(missing=f"no cluster {cluster!r} in {self._ecs.meta.region_name}"):
            response = self._ecs.describe_services(
                cluster=cluster, services=[name], include=["TAGS"]
            )
        services = [s for s in response.get("services", []) if s.get("status") != "INACTIVE"]
        if not services:
            raise MissingResourceError(f"no service {name!r} in cluster {cluster!r}")
        return services[0]

    def service(self) -> Service:
        """The service, its revision, deployments and marks."""
        described = self._describe_service()
        deployments = tuple(
            Deployment(
                id=d.get("id", ""),
                status=d.get("status", ""),
                revision=d.get("taskDefinition", ""),
                rollout_state=d.get("rolloutState", ""),
                running=d.get("runningCount", 0),
                desired=d.get("desiredCount", 0),
                reason=d.get("rolloutStateReason", ""),
            )
            for d in described.get("deployments", [])
        )
        return Service(
            name=described.get("serviceName", self._config.service),
            arn=described.get("serviceArn", ""),
            revision=described.get("taskDefinition", ""),
            desired=described.get("desiredCount", 0),
            running=described.get("runningCount", 0),
            deployments=deployments,
            marks={t.get("key", ""): t.get("value", "") for t in described.get("tags", [])},
        )

    def revision(self, ref: str) -> Revision:
        """A revision by ARN, ``family:number`` or family (its latest)."""
        with aws_errors(
            missing=f"no task definition {ref!r}",
            codes=frozenset({"ClientException", "InvalidParameterException"}),
        ):
            response = self._ecs.describe_task_definition(taskDefinition=ref, include=["TAGS"])
        described = response["taskDefinition"]
        fields = register_fields()
        return Revision(
            arn=described.get("taskDefinitionArn", ""),
            family=described.get("family", ""),
            number=described.get("revision", 0),
            definition={key: value for key, value in described.items() if key in fields},
            tags={t.get("key", ""): t.get("value", "") for t in response.get("tags", [])},
        )

    def _revision_numbers(self, family: str) -> list[tuple[int, str]]:
        found: list[tuple[int, str]] = []
        with aws_errors():
            pages = self._ecs.get_paginator("list_task_definitions").paginate(
                familyPrefix=family, status="ACTIVE"
            )
            for page in pages:
                for arn in page.get("taskDefinitionArns", []):
                    number = _revision_number(arn, family)
                    if number is not None:
                        found.append((number, arn))
        return sorted(found)

    def latest_revision(self, family: str) -> Revision | None:
        """The highest active revision of ``family``, if any."""
        numbers = self._revision_numbers(family)
        return self.revision(numbers[-1][1]) if numbers else None

    def previous_revision(self, current: Revision) -> Revision | None:
        """The highest active revision of the same family below ``current``."""
        earlier = [
            arn for number, arn in self._revision_numbers(current.family) if number < current.number
        ]
        return self.revision(earlier[-1]) if earlier else None

    def _task(self, described: "TaskTypeDef") -> Task:
        target = None
        for attachment in described.get("attachments", []):
            details = {d.get("name"): d.get("value") for d in attachment.get("details", [])}
            address = details.get("privateIPv4Address")
            if attachment.get("type") == "ElasticNetworkInterface" and address:
                target = Target(address, self._config.container_port)
        return Task(
            arn=described.get("taskArn", ""),
            revision=described.get("taskDefinitionArn", ""),
            last_status=described.get("lastStatus", "UNKNOWN"),
            desired_status=described.get("desiredStatus", "UNKNOWN"),
            target=target,
            health=described.get("healthStatus", "UNKNOWN"),
            stopped_reason=described.get("stoppedReason", ""),
        )

    def _running_tasks(self, request: "ListTasksRequestPaginateTypeDef") -> list["TaskTypeDef"]:
        cluster = self._config.cluster
        with aws_errors(missing=f"no cluster {cluster!r}"):
            pages = self._ecs.get_paginator("list_tasks").paginate(**request)
            arns = [arn for page in pages for arn in page.get("taskArns", [])]
            described: list[TaskTypeDef] = []
            for start in range(0, len(arns), 100):
                response = self._ecs.describe_tasks(
                    cluster=cluster, tasks=arns[start : start + 100], include=["TAGS"]
                )
                described.extend(response.get("tasks", []))
        return described

    def canary_tasks(self) -> tuple[Task, ...]:
        """The canary tasks of this service that are running or on their way."""
        service = self._config.service
        tasks = self._running_tasks(
            {
                "cluster": self._config.cluster,
                "desiredStatus": "RUNNING",
                "startedBy": started_by(service),
            }
        )
        return tuple(
            self._task(t)
            for t in tasks
            if {tag.get("key"): tag.get("value") for tag in t.get("tags", [])}.get(CANARY_TAG)
            == service
        )

    def service_tasks(self) -> tuple[Task, ...]:
        """The service's own running tasks."""
        tasks = self._running_tasks(
            {
                "cluster": self._config.cluster,
                "desiredStatus": "RUNNING",
                "serviceName": self._config.service,
            }
        )
        canary = started_by(self._config.service)
        return tuple(self._task(t) for t in tasks if t.get("startedBy") != canary)

    def _stable_target_group(self) -> str:
        if self._stable_group is None:
            described = self._describe_service()
            groups = [
                lb["targetGroupArn"]
                for lb in described.get("loadBalancers", [])
                if lb.get("containerName") == self._config.container and "targetGroupArn" in lb
            ]
            if not groups:
                raise ConfigError(
                    f"service {self._config.service!r} sends no load balancer traffic to container "
                    f"{self._config.container!r}: it needs a target group for it"
                )
            self._stable_group = groups[0]
        return self._stable_group

    def _group(self, pool: Pool) -> str:
        if pool is Pool.STABLE:
            return self._stable_target_group()
        return self._config.canary_target_group_arn

    def traffic(self) -> Traffic:
        """The listener's weights and each pool's targets."""
        return self._balancer.traffic(
            self._stable_target_group(), self._config.canary_target_group_arn
        )

    # Changes.

    def register_revision(self, definition: TaskDefinition, tags: Mapping[str, str]) -> Revision:
        """Register ``definition`` as a new revision of its family."""
        with aws_errors():
            response = self._ecs.register_task_definition(**definition, tags=_tags(tags))
        revision = self.revision(response["taskDefinition"].get("taskDefinitionArn", ""))
        self._console.print(f"registered {revision.name}")
        return revision

    def mark(self, marks: Mapping[str, str]) -> None:
        """Record deploy state as tags on the service."""
        arn = self._describe_service().get("serviceArn", "")
        with aws_errors():
            self._ecs.tag_resource(resourceArn=arn, tags=_tags(marks))

    def unmark(self, keys: list[str]) -> None:
        """Remove deploy state tags from the service."""
        arn = self._describe_service().get("serviceArn", "")
        with aws_errors():
            self._ecs.untag_resource(resourceArn=arn, tagKeys=keys)

    @staticmethod
    def _canary_overrides(revision: Revision) -> list["ContainerOverrideTypeDef"]:
        """``OPENBID_DEPLOYMENT=canary`` where a container reads it: one revision, two labels."""
        return [
            {"name": c["name"], "environment": [{"name": DEPLOYMENT_VARIABLE, "value": "canary"}]}
            for c in revision.definition.get("containerDefinitions", [])
            if any(e.get("name") == DEPLOYMENT_VARIABLE for e in c.get("environment", []))
        ]

    def start_canary(self, revision: Revision) -> Task:
        """Start one canary task of ``revision`` in the service's subnets and security groups."""
        described = self._describe_service()
        network = described.get("networkConfiguration", {}).get("awsvpcConfiguration", {})
        subnets = self._config.subnets or list(network.get("subnets", []))
        if not subnets:
            raise ConfigError(
                f"service {self._config.service!r} has no awsvpc subnets: "
                "set `subnets` in the config"
            )
        public = self._config.assign_public_ip
        awsvpc: AwsVpcConfigurationTypeDef = {
            "subnets": subnets,
            "securityGroups": self._config.security_groups
            or list(network.get("securityGroups", [])),
            "assignPublicIp": ("ENABLED" if public else "DISABLED")
            if public is not None
            else network.get("assignPublicIp", "DISABLED"),
        }
        placement: dict[str, Any] = (
            {"capacityProviderStrategy": described["capacityProviderStrategy"]}
            if described.get("capacityProviderStrategy")
            else {"launchType": "FARGATE"}
        )
        with aws_errors():
            response = self._ecs.run_task(
                cluster=self._config.cluster,
                taskDefinition=revision.arn,
                count=1,
                startedBy=started_by(self._config.service),
                networkConfiguration={"awsvpcConfiguration": awsvpc},
                overrides={"containerOverrides": self._canary_overrides(revision)},
                tags=_tags({CANARY_TAG: self._config.service, REVISION_TAG: revision.name}),
                enableExecuteCommand=described.get("enableExecuteCommand", False),
                platformVersion=described.get("platformVersion", "LATEST"),
                **placement,
            )
        failures = [
            f"{f.get('arn', '')} {f.get('reason', '')}".strip()
            for f in response.get("failures", [])
        ]
        if failures or not response.get("tasks"):
            raise DeployError(f"ECS did not start the canary: {'; '.join(failures) or 'no task'}")
        task = self._task(response["tasks"][0])
        self._console.print(f"started canary task {task.id} of {revision.name}")
        return task

    def register_target(self, pool: Pool, target: Target) -> None:
        """Register ``target`` in the pool's target group."""
        self._balancer.register(pool, self._group(pool), target)

    def deregister_target(self, pool: Pool, target: Target) -> None:
        """Deregister ``target`` from the pool's target group; it drains."""
        self._balancer.deregister(pool, self._group(pool), target)

    def set_canary_weight(self, weight: int) -> None:
        """Forward ``weight`` percent to the canary target group, the rest to the stable one."""
        stable, canary = self._stable_target_group(), self._config.canary_target_group_arn
        self._balancer.set_weights(stable, canary, weight)

    def update_service(self, revision: Revision) -> None:
        """Roll the service out to ``revision``."""
        with aws_errors():
            self._ecs.update_service(
                cluster=self._config.cluster,
                service=self._config.service,
                taskDefinition=revision.arn,
            )
        self._console.print(f"service {self._config.service} updating to {revision.name}")

    def stop_task(self, task: Task, reason: str) -> None:
        """Stop ``task``."""
        with aws_errors():
            self._ecs.stop_task(cluster=self._config.cluster, task=task.arn, reason=reason[:255])
        self._console.print(f"stopped task {task.id} ({short_revision(task.revision)})")

    # Waits.

    def wait_task_running(self, task: Task) -> Task:
        """Until ``task`` runs; the task as it is then (with its address)."""
        waits = self._config.waits

        def fetch() -> "DescribeTasksResponseTypeDef":
            with aws_errors():
                return self._ecs.describe_tasks(cluster=self._config.cluster, tasks=[task.arn])

        response = poll(
            fetch,
            lambda r: judge_task_running(r, task.arn),
            what=f"canary task {task.id} running",
            timeout=waits.task_running,
            interval=waits.interval,
            console=self._console,
        )
        running = next(t for t in response["tasks"] if t.get("taskArn") == task.arn)
        return self._task(running)

    def wait_target_healthy(self, pool: Pool, target: Target) -> None:
        """Until the load balancer finds ``target`` healthy in ``pool``."""
        self._balancer.wait_healthy(pool, self._group(pool), target)

    def wait_target_drained(self, pool: Pool, target: Target) -> None:
        """Until ``target`` has left ``pool`` (deregistration delay over)."""
        self._balancer.wait_drained(pool, self._group(pool), target)

    def wait_rollout(self, revision: Revision) -> None:
        """Until the service's PRIMARY deployment is ``revision`` and COMPLETED."""

        def fetch() -> "DescribeServicesResponseTypeDef":
            with aws_errors():
                return self._ecs.describe_services(
                    cluster=self._config.cluster, services=[self._config.service]
                )

        poll(
            fetch,
            lambda r: judge_rollout(r, revision.arn),
            what=f"service rolling out {revision.name}",
            timeout=self._config.waits.rollout,
            interval=self._config.waits.interval,
            console=self._console,
        )

    # Into a task.

    def exec(self, task: Task, container: str, command: str) -> int:
        """Open an ECS Exec session in ``container`` of ``task`` via the session-manager plugin."""
        return exec_in_task(self._ecs, self._config.cluster, task, container, command)
