"""A deploy config on the real task definition template, for the deploy unit tests.

(Not a conftest.py: mypy would find two top-level modules named ``conftest``.)"""

from pathlib import Path

import yaml

from openbid.deploy.config import DeployConfig, load_config
from openbid.deploy.templating import Lookups

ROOT = Path(__file__).resolve().parents[3]
TEMPLATE = ROOT / "infra" / "taskdef.yaml.j2"
ACCOUNT = "123456789012"
VALUES = {
    "family": "openbid-bidder-test",
    "stage": "test",
    "execution_role_arn": f"arn:aws:iam::{ACCOUNT}:role/openbid-execution",
    "task_role_arn": f"arn:aws:iam::{ACCOUNT}:role/openbid-task",
    "log_group": "/openbid/test",
    "events_bucket": "openbid-events-test",
    "notice_url": "https://bid.example.com",
    "signing_keys_arn": f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:keys",
    "catalog_url_arn": f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:catalog",
    "datadog_api_key_arn": f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:dd",
}


def config_file(directory: Path, **overrides: object) -> Path:
    """A deploy.yaml in ``directory`` for the test service, with ``overrides`` on top."""
    config: dict[str, object] = {
        "region": "us-east-1",
        "cluster": "openbid-test",
        "service": "openbid-bidder-test",
        "task_definition": str(TEMPLATE),
        "image_repository": f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/openbid",
        "listener_arn": f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:listener/app/x/1/2",
        "canary_target_group_arn": f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:"
        "targetgroup/canary/3",
        "values": dict(VALUES),
    }
    config.update(overrides)
    path = directory / "deploy.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def make_config(directory: Path, **overrides: object) -> DeployConfig:
    """The test service's config on the real template, loaded."""
    return load_config(config_file(directory, **overrides), Lookups())
