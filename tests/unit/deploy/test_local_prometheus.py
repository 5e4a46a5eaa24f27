"""The local Prometheus: its config and the scrape targets file."""

import json
from pathlib import Path

import yaml

from openbid.deploy.local.prometheus import prometheus_config, write_targets
from openbid.deploy.local.settings import LocalSettings
from openbid.deploy.local.tasks import Role, TaskRecord

SETTINGS = LocalSettings(
    port=18080, prometheus_port=19090, stable_tasks=2, admin_token="t", signing_keys="k:v"
)


def test_config_scrapes_the_targets_file_with_the_admin_token(tmp_path: Path) -> None:
    config = yaml.safe_load(prometheus_config(SETTINGS, tmp_path / "token", tmp_path / "t.json"))
    assert config["global"]["scrape_interval"] == "1s"
    job = config["scrape_configs"][0]
    assert job["authorization"] == {"credentials_file": str(tmp_path / "token")}
    assert job["file_sd_configs"][0]["files"] == [str(tmp_path / "t.json")]


def test_targets_are_admin_ports_labelled_with_version_and_task(tmp_path: Path) -> None:
    records = [
        TaskRecord("stable-a", Role.STABLE, "openbid-local:1", "v1", 9001, 9101),
        TaskRecord("canary-b", Role.CANARY, "openbid-local:2", "v2", 9002, 9102),
    ]
    path = tmp_path / "targets.json"
    write_targets(path, records)
    assert json.loads(path.read_text()) == [
        {
            "targets": ["127.0.0.1:9101"],
            "labels": {
                "app_version": "v1",
                "local_task": "stable-a",
                "revision": "openbid-local:1",
            },
        },
        {
            "targets": ["127.0.0.1:9102"],
            "labels": {
                "app_version": "v2",
                "local_task": "canary-b",
                "revision": "openbid-local:2",
            },
        },
    ]
