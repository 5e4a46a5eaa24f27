"""The load balancer side of the ECS platform: one listener, a stable and a canary target group.

The listener's default forward action holds the weights (stable ``100 - w``, canary ``w``);
whatever else the listener does (other actions, stickiness) is kept as it is. Targets are IP
addresses of tasks (``awsvpc``), registered and deregistered by address and port.
"""

from typing import TYPE_CHECKING, Any

from rich.console import Console

from openbid.deploy.aws import aws_errors
from openbid.deploy.config import Waits
from openbid.deploy.errors import MissingResourceError, NotAttachedError
from openbid.deploy.platform import Pool, Target, TargetHealth, Traffic
from openbid.deploy.wait import judge_target_drained, judge_target_healthy, poll

if TYPE_CHECKING:
    from mypy_boto3_elbv2 import ElasticLoadBalancingv2Client
    from mypy_boto3_elbv2.type_defs import (
        ActionOutputTypeDef,
        DescribeTargetHealthOutputTypeDef,
        ListenerTypeDef,
    )


def _weights(action: "ActionOutputTypeDef") -> dict[str, int]:
    """Target group ARN to weight, for a forward action in either of its two forms."""
    groups = action.get("ForwardConfig", {}).get("TargetGroups", [])
    if groups:
        return {g.get("TargetGroupArn", ""): g.get("Weight", 1) for g in groups}
    return {action.get("TargetGroupArn", ""): 1}


class LoadBalancer:
    """The listener and target groups a deploy moves traffic between."""

    def __init__(
        self,
        elbv2: "ElasticLoadBalancingv2Client",
        listener_arn: str,
        waits: Waits,
        console: Console,
    ) -> None:
        self._elb = elbv2
        self._listener_arn = listener_arn
        self._waits = waits
        self._console = console

    def _listener(self) -> "ListenerTypeDef":
        arn = self._listener_arn
        with aws_errors(missing=f"no listener {arn} (the config's `listener_arn`)"):
            listeners = self._elb.describe_listeners(ListenerArns=[arn]).get("Listeners", [])
        if not listeners:
            raise MissingResourceError(f"no listener {arn} (the config's `listener_arn`)")
        return listeners[0]

    def _forward(self, listener: "ListenerTypeDef") -> "ActionOutputTypeDef":
        for action in listener.get("DefaultActions", []):
            if action.get("Type") == "forward":
                return action
        raise NotAttachedError(f"listener {self._listener_arn} has no default forward action")

    def _target_health(self, group: str, what: str) -> tuple[TargetHealth, ...]:
        with aws_errors(missing=f"no target group {group} ({what})"):
            response = self._elb.describe_target_health(TargetGroupArn=group)
        return tuple(
            TargetHealth(
                Target(d.get("Target", {}).get("Id", ""), d.get("Target", {}).get("Port", 0)),
                d.get("TargetHealth", {}).get("State", "unknown"),
                d.get("TargetHealth", {}).get("Reason", ""),
            )
            for d in response.get("TargetHealthDescriptions", [])
        )

    def traffic(self, stable: str, canary: str) -> Traffic:
        """The weights of both groups and the health of their targets."""
        weights = _weights(self._forward(self._listener()))
        return Traffic(
            stable_weight=weights.get(stable, 0),
            canary_weight=weights.get(canary, 0),
            stable_attached=stable in weights,
            canary_attached=canary in weights,
            stable=self._target_health(stable, "the service's target group"),
            canary=self._target_health(canary, "the config's `canary_target_group_arn`"),
        )

    def register(self, pool: Pool, group: str, target: Target) -> None:
        """Register ``target`` in ``group``."""
        with aws_errors():
            self._elb.register_targets(
                TargetGroupArn=group, Targets=[{"Id": target.host, "Port": target.port}]
            )
        self._console.print(f"registered {target} in the {pool} target group")

    def deregister(self, pool: Pool, group: str, target: Target) -> None:
        """Deregister ``target`` from ``group``; it drains."""
        with aws_errors():
            self._elb.deregister_targets(
                TargetGroupArn=group, Targets=[{"Id": target.host, "Port": target.port}]
            )
        self._console.print(f"deregistered {target} from the {pool} target group")

    def set_weights(self, stable: str, canary: str, weight: int) -> None:
        """Forward ``weight`` percent to ``canary``, the rest to ``stable``."""
        listener = self._listener()
        forward = self._forward(listener)
        weights = _weights(forward)
        missing = [arn for arn in (stable, canary) if arn not in weights]
        if missing:
            raise NotAttachedError(
                f"target group {missing[0]} is not in the default forward action of listener "
                f"{self._listener_arn}"
            )
        weights.update({stable: 100 - weight, canary: weight})
        config: dict[str, Any] = {
            "TargetGroups": [{"TargetGroupArn": arn, "Weight": w} for arn, w in weights.items()]
        }
        stickiness = forward.get("ForwardConfig", {}).get("TargetGroupStickinessConfig")
        if stickiness:
            config["TargetGroupStickinessConfig"] = stickiness
        order = {"Order": forward["Order"]} if "Order" in forward else {}
        actions: list[Any] = [
            {"Type": "forward", "ForwardConfig": config, **order} if action is forward else action
            for action in listener.get("DefaultActions", [])
        ]
        with aws_errors():
            self._elb.modify_listener(ListenerArn=self._listener_arn, DefaultActions=actions)
        self._console.print(f"listener: stable {100 - weight}%, canary {weight}%")

    def _health_of(self, group: str, target: Target) -> "DescribeTargetHealthOutputTypeDef":
        with aws_errors():
            return self._elb.describe_target_health(
                TargetGroupArn=group, Targets=[{"Id": target.host, "Port": target.port}]
            )

    def wait_healthy(self, pool: Pool, group: str, target: Target) -> None:
        """Until the load balancer finds ``target`` healthy in ``group``."""
        poll(
            lambda: self._health_of(group, target),
            lambda response: judge_target_healthy(response, target),
            what=f"{target} healthy in the {pool} target group",
            timeout=self._waits.target_healthy,
            interval=self._waits.interval,
            console=self._console,
        )

    def wait_drained(self, pool: Pool, group: str, target: Target) -> None:
        """Until ``target`` has left ``group`` (its deregistration delay over)."""
        poll(
            lambda: self._health_of(group, target),
            lambda response: judge_target_drained(response, target),
            what=f"{target} draining from the {pool} target group",
            timeout=self._waits.drained,
            interval=self._waits.interval,
            console=self._console,
        )
