"""The tags that tell tasks apart: on every metric and every log line.

On ECS they come from the task metadata endpoint (cluster, task definition family and revision,
task ARN, availability zone, image tag); elsewhere from the host name and openbid's version.
``deployment`` (stable or canary) comes from ``OPENBID_DEPLOYMENT``, else from the task's
``openbid:canary`` tag, which ``openbid deploy canary`` puts on the canary task. ``task_id``
is the task's id on ECS and the host name elsewhere (Datadog reserves ``host``).
"""

import os
import socket
from collections.abc import Mapping

from openbid import __version__
from openbid.telemetry.ecs import EcsMetadata, read_ecs_metadata

Tags = dict[str, str]

DEPLOYMENT_ENV = "OPENBID_DEPLOYMENT"
CANARY_TASK_TAG = "openbid:canary"  # openbid.deploy.ecs.CANARY_TAG (deploy is not imported here)
STABLE, CANARY = "stable", "canary"
TAG_NAMES = (
    "ecs_cluster", "task_family", "task_version", "task_arn", "availability_zone", "image_tag",
    "deployment", "task_id",
)  # fmt: skip


def image_tag(image: str) -> str:
    """``repo:1.4.2`` -> ``1.4.2``; ``repo@sha256:...`` -> ``sha256:...``; no tag -> ``latest``."""
    if "@" in image:
        return image.split("@", 1)[1]
    name, _, tag = image.rpartition(":")
    return tag if name and "/" not in tag else "latest"


def _cluster_name(cluster: str) -> str:
    """A cluster ARN (Fargate gives one) -> its short name."""
    return cluster.rsplit("/", 1)[-1] if cluster.startswith("arn:") else cluster


def _deployment(env: Mapping[str, str], metadata: EcsMetadata | None) -> str:
    named = env.get(DEPLOYMENT_ENV, "").strip().lower()
    if named:
        return named
    if metadata is not None and CANARY_TASK_TAG in metadata.task.task_tags:
        return CANARY
    return STABLE


def tags_from(metadata: EcsMetadata | None, env: Mapping[str, str], hostname: str) -> Tags:
    """The tags for ``metadata`` (None outside ECS): every name in ``TAG_NAMES``, never empty."""
    deployment = _deployment(env, metadata)
    if metadata is None:
        return {
            "ecs_cluster": "none",
            "task_family": "openbid",
            "task_version": __version__,
            "task_arn": "none",
            "availability_zone": "none",
            "image_tag": __version__,
            "deployment": deployment,
            "task_id": hostname,
        }
    task = metadata.task
    return {
        "ecs_cluster": _cluster_name(task.cluster) or "none",
        "task_family": task.family or "openbid",
        "task_version": task.revision or "0",
        "task_arn": task.task_arn or "none",
        "availability_zone": task.availability_zone or "none",
        "image_tag": image_tag(metadata.container.image) if metadata.container.image else "none",
        "deployment": deployment,
        "task_id": task.task_arn.rsplit("/", 1)[-1] if task.task_arn else hostname,
    }


def runtime_tags(env: Mapping[str, str] | None = None) -> Tags:
    """Read the tags of this process: call once at start (it may wait for the ECS endpoint)."""
    environ = os.environ if env is None else env
    return tags_from(read_ecs_metadata(environ), environ, socket.gethostname())
