"""The ECS task metadata endpoint (v4): who this task is, read once at start.

``ECS_CONTAINER_METADATA_URI_V4`` is set by the ECS agent (EC2 and Fargate) in every container;
``$URI`` describes this container, ``$URI/taskWithTags`` (``$URI/task`` on agents without it)
the task. A short timeout: a missing or slow endpoint must never hold up the bidder's start.
"""

import logging
import urllib.error
import urllib.request
from collections.abc import Mapping

import msgspec

log = logging.getLogger("openbid.telemetry")

METADATA_ENV = "ECS_CONTAINER_METADATA_URI_V4"
DEFAULT_TIMEOUT = 0.5  # seconds per document


class ContainerMetadata(msgspec.Struct, rename="pascal"):
    """The fields of the container document openbid uses."""

    name: str = ""
    image: str = ""


class TaskMetadata(msgspec.Struct, rename="pascal"):
    """The fields of the task document openbid uses (``TaskTags`` only from ``taskWithTags``)."""

    cluster: str = ""
    task_arn: str = msgspec.field(default="", name="TaskARN")
    family: str = ""
    revision: str = ""
    availability_zone: str = ""
    service_name: str = ""
    task_tags: dict[str, str] = {}


class EcsMetadata(msgspec.Struct, frozen=True):
    """This task and this container, as the metadata endpoint describes them."""

    task: TaskMetadata
    container: ContainerMetadata


def _get(url: str, timeout: float) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        body: bytes = response.read()
        return body


def _task_document(base: str, timeout: float) -> bytes:
    """``taskWithTags`` when the agent has it (tags need ecs:ListTagsForResource), else ``task``."""
    try:
        return _get(f"{base}/taskWithTags", timeout)
    except urllib.error.HTTPError:
        return _get(f"{base}/task", timeout)


def read_ecs_metadata(
    env: Mapping[str, str], timeout: float = DEFAULT_TIMEOUT
) -> EcsMetadata | None:
    """The task's metadata, or None outside ECS or when the endpoint does not answer in time."""
    base = env.get(METADATA_ENV, "").rstrip("/")
    if not base:
        return None
    try:
        container = msgspec.json.decode(_get(base, timeout), type=ContainerMetadata)
        task = msgspec.json.decode(_task_document(base, timeout), type=TaskMetadata)
    except (OSError, msgspec.DecodeError) as error:
        log.warning("ECS task metadata unavailable at %s: %s", base, error)
        return None
    return EcsMetadata(task=task, container=container)
