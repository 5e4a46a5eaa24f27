"""The task definition: rendered from its template, checked before any AWS call, compared.

``render_task_definition`` fills the template with the image and the config's values and checks
the result against botocore's model of ``ecs:RegisterTaskDefinition`` (the request AWS would
get) plus what a bidder task needs (its container and port, a ``stopTimeout`` longer than the
drain). ``comparable`` strips what the API adds on its own, so a rendered definition and a live
one compare equal when registering would change nothing.
"""

import difflib
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from openbid.deploy.config import DeployConfig
from openbid.deploy.errors import ConfigError
from openbid.deploy.templating import Lookups, render_template

if TYPE_CHECKING:
    from botocore.model import StructureShape

TaskDefinition = dict[str, Any]
"""A task definition as ``RegisterTaskDefinition`` takes it (camelCase keys, as in boto3)."""

TAG_PATTERN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
DRAIN_VARIABLE = "OPENBID_DRAIN_SECONDS"
DEFAULT_DRAIN_SECONDS = 10.0
_UNKNOWN = re.compile(
    r'Unknown parameter in (?P<where>\S+): "(?P<name>[^"]+)", must be one of: (?P<names>.*)'
)
_CLASS = re.compile(r"<class '(\w+)'>")
_CONTAINER_DEFAULTS = {"essential": True, "cpu": 0}
_HEALTH_CHECK_DEFAULTS = {"interval": 30, "timeout": 5, "retries": 3, "startPeriod": 0}


def image_reference(repository: str, image: str) -> str:
    """The image for ``--image``: a tag or ``sha256:`` digest of the repository, or as given."""
    if "/" in image:
        return image
    if image.startswith("sha256:"):
        return f"{repository}@{image}"
    if not TAG_PATTERN.fullmatch(image):
        raise ConfigError(
            f"--image {image!r} is neither an image tag, a digest nor an image reference"
        )
    return f"{repository}:{image}"


def image_tag(reference: str) -> str:
    """The tag (or digest) of an image reference: what ``DD_VERSION`` and the tags record."""
    if "@" in reference:
        return reference.split("@", 1)[1]
    name = reference.rsplit("/", 1)[-1]
    return name.split(":", 1)[1] if ":" in name else "latest"


def render_task_definition(config: DeployConfig, image: str, lookups: Lookups) -> TaskDefinition:
    """Render the config's task definition template for ``image`` and check the result."""
    reference = image_reference(config.image_repository, image)
    variables = {
        "image": reference,
        "tag": image_tag(reference),
        "config": config,
        "values": config.values,
    }
    path = Path(config.task_definition)
    text = render_template(path, variables, lookups)
    try:
        definition = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ConfigError(f"{path} did not render to valid YAML: {error}") from None
    if not isinstance(definition, dict):
        raise ConfigError(f"{path} did not render to a mapping of task definition fields")
    check_task_definition(definition, config, source=str(path))
    return definition


@cache
def _register_shape() -> "StructureShape":
    import botocore.session  # noqa: PLC0415 - botocore's model loads only when needed
    from botocore.model import StructureShape  # noqa: PLC0415

    model = botocore.session.get_session().get_service_model("ecs")
    shape = model.operation_model("RegisterTaskDefinition").input_shape
    assert isinstance(shape, StructureShape)
    return shape


def register_fields() -> frozenset[str]:
    """The fields ``RegisterTaskDefinition`` accepts (a described definition has more)."""
    return frozenset(_register_shape().members)


def _readable(line: str) -> str:
    """One botocore validation line, with types shortened and a guess for a misspelled name."""
    line = _CLASS.sub(r"\1", line)
    unknown = _UNKNOWN.fullmatch(line)
    if unknown is None:
        return line
    names = unknown["names"].split(", ")
    guess = difflib.get_close_matches(unknown["name"], names, n=1)
    hint = f' (did you mean "{guess[0]}"?)' if guess else f" (known: {unknown['names']})"
    return f'unknown field "{unknown["name"]}" in {unknown["where"]}{hint}'


def botocore_problems(definition: TaskDefinition) -> list[str]:
    """What botocore's ECS model finds wrong with ``definition`` as a RegisterTaskDefinition."""
    from botocore.validate import ParamValidator  # noqa: PLC0415

    report = ParamValidator().validate(definition, _register_shape())
    if not report.has_errors():
        return []
    lines = report.generate_report().splitlines()
    return [_readable(line.strip()) for line in lines if line.strip()]


def _environment(container: dict[str, Any]) -> dict[str, str]:
    return {
        str(item.get("name")): str(item.get("value"))
        for item in container.get("environment") or []
        if isinstance(item, dict)
    }


def bidder_problems(definition: TaskDefinition, config: DeployConfig) -> list[str]:
    """What a Fargate bidder task needs beyond a well-formed request."""
    problems: list[str] = []
    if "FARGATE" not in (definition.get("requiresCompatibilities") or []):
        problems.append('requiresCompatibilities must include "FARGATE"')
    if definition.get("networkMode") != "awsvpc":
        problems.append('networkMode must be "awsvpc" (Fargate, and IP targets for the ALB)')
    containers = [c for c in definition.get("containerDefinitions") or [] if isinstance(c, dict)]
    for index, container in enumerate(containers):
        if not container.get("image"):
            problems.append(f"containerDefinitions[{index}] ({container.get('name')}) has no image")
    bidder = next((c for c in containers if c.get("name") == config.container), None)
    if bidder is None:
        problems.append(f"no container named {config.container!r} (the config's `container`)")
        return problems
    ports = [
        p.get("containerPort") for p in bidder.get("portMappings") or [] if isinstance(p, dict)
    ]
    if config.container_port not in ports:
        problems.append(
            f"container {config.container!r} does not map port {config.container_port} "
            "(the config's `container_port`)"
        )
    drain = _environment(bidder).get(DRAIN_VARIABLE, str(DEFAULT_DRAIN_SECONDS))
    stop_timeout = bidder.get("stopTimeout")
    try:
        drain_seconds = float(drain)
    except ValueError:
        problems.append(
            f"container {config.container!r}: {DRAIN_VARIABLE}={drain!r} is not a number"
        )
        return problems
    if not isinstance(stop_timeout, int) or stop_timeout <= drain_seconds:
        problems.append(
            f"container {config.container!r}: stopTimeout ({stop_timeout}) must exceed "
            f"{DRAIN_VARIABLE} ({drain}) so in-flight requests finish before SIGKILL"
        )
    return problems


def check_task_definition(definition: TaskDefinition, config: DeployConfig, source: str) -> None:
    """Raise a ``ConfigError`` listing every problem, before anything is sent to AWS."""
    problems = botocore_problems(definition) or bidder_problems(definition, config)
    if problems:
        listed = "\n".join(f"  - {problem}" for problem in problems)
        raise ConfigError(f"task definition rendered from {source} is not valid:\n{listed}")


def _prune(value: Any) -> Any:
    """``value`` without None, empty strings, lists and mappings, at any depth."""
    if isinstance(value, dict):
        pruned = {key: _prune(item) for key, item in value.items()}
        return {key: item for key, item in pruned.items() if item not in (None, "", [], {})}
    if isinstance(value, list):
        items = [_prune(item) for item in value]
        return [item for item in items if item not in (None, "", [], {})]
    return value


def _drop_defaults(value: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    return {key: item for key, item in value.items() if defaults.get(key, object()) != item}


def _comparable_container(container: dict[str, Any]) -> dict[str, Any]:
    container = _drop_defaults(container, _CONTAINER_DEFAULTS)
    for key in ("environment", "secrets"):
        if key in container:
            container[key] = sorted(container[key], key=lambda item: str(item.get("name")))
    if "portMappings" in container:
        container["portMappings"] = [
            _drop_defaults(mapping, {"protocol": "tcp", "hostPort": mapping.get("containerPort")})
            for mapping in container["portMappings"]
        ]
    if "healthCheck" in container:
        container["healthCheck"] = _drop_defaults(container["healthCheck"], _HEALTH_CHECK_DEFAULTS)
    return container


def comparable(definition: TaskDefinition) -> TaskDefinition:
    """``definition`` as registering it would make it: only request fields, API defaults removed."""
    fields = register_fields() - {"tags"}
    kept: TaskDefinition = _prune({k: v for k, v in definition.items() if k in fields})
    kept["containerDefinitions"] = [
        _comparable_container(container) for container in kept.get("containerDefinitions", [])
    ]
    return kept
