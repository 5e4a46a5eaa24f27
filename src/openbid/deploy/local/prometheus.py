"""The local Prometheus server: its config, and the scrape targets as tasks come and go.

Every task's admin port is a target, labelled ``app_version`` (its version label),
``local_task`` and ``revision`` (names no exported series uses); the
``deployment`` label (stable or canary) is the task's own, on every series it exports. Targets
are a file Prometheus watches (file service discovery), rewritten whenever a task starts or
stops, so Prometheus never restarts.
"""

from pathlib import Path

import yaml

from openbid.deploy.local.jsonfile import write_json
from openbid.deploy.local.settings import LocalSettings
from openbid.deploy.local.tasks import LOOPBACK, TaskRecord


def prometheus_config(settings: LocalSettings, token: Path, targets: Path) -> str:
    """The Prometheus configuration of a local deployment."""
    interval = f"{settings.scrape_interval:g}s"
    config = {
        "global": {"scrape_interval": interval, "evaluation_interval": interval},
        "scrape_configs": [
            {
                "job_name": "openbid",
                "authorization": {"credentials_file": str(token)},
                "file_sd_configs": [{"files": [str(targets)], "refresh_interval": "5s"}],
            }
        ],
    }
    header = "# Written by `openbid deploy local up`; targets are in the file it names.\n"
    return header + yaml.safe_dump(config, sort_keys=False)


def write_targets(path: Path, records: list[TaskRecord]) -> None:
    """Scrape ``records``' admin ports, each labelled with its version, task and revision."""
    write_json(
        path,
        [
            {
                "targets": [f"{LOOPBACK}:{record.admin_port}"],
                "labels": {
                    "app_version": record.label,
                    "local_task": record.id,
                    "revision": record.revision,
                },
            }
            for record in records
        ],
    )
