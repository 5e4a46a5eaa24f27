"""Local revisions: definitions from version labels, numbered and found like ECS revisions."""

from pathlib import Path

import pytest

from openbid.deploy.errors import MissingResourceError
from openbid.deploy.local.revisions import (
    RevisionStore,
    environment_of,
    label_of,
    local_definition,
)
from openbid.deploy.local.settings import VersionSpec
from openbid.deploy.taskdef import comparable

FAMILY = "openbid-local"


def test_a_definition_carries_the_label_catalog_faults_and_environment() -> None:
    spec = VersionSpec(catalog="/c.yaml", faults="latency_ms=30", env={"OPENBID_SEAT": "s"})
    store_less = local_definition(FAMILY, "v3-slow", spec)
    assert store_less["family"] == FAMILY
    container = store_less["containerDefinitions"][0]
    assert container["image"] == "v3-slow"
    assert container["environment"] == [
        {"name": "OPENBID_CATALOG", "value": "/c.yaml"},
        {"name": "OPENBID_FAULTS", "value": "latency_ms=30"},
        {"name": "OPENBID_SEAT", "value": "s"},
    ]


def test_revisions_are_numbered_found_and_compared(tmp_path: Path) -> None:
    store = RevisionStore(tmp_path / "revisions", FAMILY)
    assert store.latest() is None
    first = store.add(local_definition(FAMILY, "v1", VersionSpec()), {})
    second = store.add(local_definition(FAMILY, "v2", VersionSpec(faults="error_rate=0.5")), {})
    assert (first.arn, second.arn) == (f"{FAMILY}:1", f"{FAMILY}:2")
    assert store.get(f"{FAMILY}:1") == first
    assert store.get("2") == second
    assert store.get(FAMILY) == second
    assert store.previous(second) == first
    assert store.previous(first) is None
    assert label_of(second) == "v2"
    assert environment_of(second) == {"OPENBID_FAULTS": "error_rate=0.5"}
    again = local_definition(FAMILY, "v2", VersionSpec(faults="error_rate=0.5"))
    assert comparable(store.get("2").definition) == comparable(again)


@pytest.mark.parametrize("ref", ["9", "other:1", f"{FAMILY}:x"])
def test_unknown_revisions_are_missing(tmp_path: Path, ref: str) -> None:
    store = RevisionStore(tmp_path, FAMILY)
    store.add(local_definition(FAMILY, "v1", VersionSpec()), {})
    with pytest.raises(MissingResourceError):
        store.get(ref)
