"""Local revisions: what a version label runs, numbered like ECS task definition revisions.

A revision's definition has the ECS shape (family, one ``bidder`` container whose ``image`` is
the version label and whose ``environment`` holds the catalog and fault switch), so the verbs
compare, show and promote local revisions as they do ECS ones. Each is a JSON file named by
its number; its ARN and name are both ``family:number``.
"""

from pathlib import Path
from typing import Any

import msgspec

from openbid.deploy.errors import MissingResourceError
from openbid.deploy.local.jsonfile import read_json, write_json
from openbid.deploy.local.settings import VersionSpec
from openbid.deploy.platform import Revision
from openbid.deploy.taskdef import TaskDefinition

CONTAINER = "bidder"
CATALOG_VARIABLE = "OPENBID_CATALOG"
FAULTS_VARIABLE = "OPENBID_FAULTS"


def local_definition(family: str, label: str, spec: VersionSpec) -> TaskDefinition:
    """The definition of version ``label``: its label as the image, its settings as variables."""
    variables = dict(spec.env)
    if spec.catalog:
        variables[CATALOG_VARIABLE] = spec.catalog
    if spec.faults:
        variables[FAULTS_VARIABLE] = spec.faults
    return {
        "family": family,
        "containerDefinitions": [
            {
                "name": CONTAINER,
                "image": label,
                "environment": [
                    {"name": name, "value": value} for name, value in sorted(variables.items())
                ],
            }
        ],
    }


def label_of(revision: Revision) -> str:
    """The version label a revision runs."""
    return revision.image(CONTAINER) or "unknown"


def environment_of(revision: Revision) -> dict[str, str]:
    """The variables a task of ``revision`` is started with."""
    for container in revision.definition.get("containerDefinitions", []):
        if container.get("name") == CONTAINER:
            return {str(e["name"]): str(e["value"]) for e in container.get("environment", [])}
    return {}


class _Stored(msgspec.Struct):
    family: str
    number: int
    definition: dict[str, Any]
    tags: dict[str, str] = msgspec.field(default_factory=dict)


class RevisionStore:
    """The revisions registered in a state directory, of one family."""

    def __init__(self, directory: Path, family: str) -> None:
        self._directory = directory
        self._family = family

    def _path(self, number: int) -> Path:
        return self._directory / f"{number}.json"

    def numbers(self) -> list[int]:
        """The registered revision numbers, lowest first."""
        if not self._directory.is_dir():
            return []
        return sorted(int(p.stem) for p in self._directory.glob("*.json") if p.stem.isdigit())

    def _load(self, number: int) -> Revision:
        stored = read_json(self._path(number), _Stored)
        name = f"{stored.family}:{stored.number}"
        return Revision(name, stored.family, stored.number, stored.definition, stored.tags)

    def get(self, ref: str) -> Revision:
        """A revision by ``family:number``, number, or family (its latest)."""
        family, _, number = ref.rpartition(":")
        if not family and not number.isdigit():
            family, number = number, ""
        if family and family != self._family:
            raise MissingResourceError(f"no revision {ref!r}: the local family is {self._family}")
        if not number:
            latest = self.latest()
            if latest is None:
                raise MissingResourceError(f"no revision of {self._family} registered")
            return latest
        if not number.isdigit() or not self._path(int(number)).is_file():
            raise MissingResourceError(f"no revision {ref!r}")
        return self._load(int(number))

    def latest(self) -> Revision | None:
        """The highest revision, if any."""
        numbers = self.numbers()
        return self._load(numbers[-1]) if numbers else None

    def previous(self, current: Revision) -> Revision | None:
        """The highest revision below ``current``."""
        earlier = [n for n in self.numbers() if n < current.number]
        return self._load(earlier[-1]) if earlier else None

    def add(self, definition: TaskDefinition, tags: dict[str, str]) -> Revision:
        """Register ``definition`` as the next revision."""
        numbers = self.numbers()
        number = numbers[-1] + 1 if numbers else 1
        write_json(self._path(number), _Stored(self._family, number, definition, tags))
        return self._load(number)
