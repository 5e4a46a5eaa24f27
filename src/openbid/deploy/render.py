"""``openbid deploy render``: the task definition a deploy of an image would register.

Rendered from the template and checked against botocore's model of the request before anything
is sent, so a typo fails here with its path instead of in the middle of a deploy.
"""

import json

from openbid.deploy.config import DeployConfig
from openbid.deploy.taskdef import TaskDefinition, render_task_definition
from openbid.deploy.templating import Lookups


def render(config: DeployConfig, image: str, lookups: Lookups) -> TaskDefinition:
    """The checked task definition for ``image``."""
    return render_task_definition(config, image, lookups)


def to_json(definition: TaskDefinition) -> str:
    """The task definition as ``aws ecs register-task-definition --cli-input-json`` reads it."""
    return json.dumps(definition, indent=2, sort_keys=False)
