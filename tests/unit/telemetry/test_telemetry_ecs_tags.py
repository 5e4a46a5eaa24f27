"""Tags from the ECS task metadata endpoint v4, against a fake of it on loopback."""

import time

from telemetry_fixtures import TASK_DOC, ecs_documents, fake_metadata_endpoint

from openbid import __version__
from openbid.deploy.ecs import CANARY_TAG
from openbid.telemetry.ecs import METADATA_ENV, read_ecs_metadata
from openbid.telemetry.tags import CANARY_TASK_TAG, TAG_NAMES, image_tag, runtime_tags


def test_tags_from_the_task_and_container_documents() -> None:
    with fake_metadata_endpoint(ecs_documents()) as uri:
        tags = runtime_tags({METADATA_ENV: uri, "OPENBID_DEPLOYMENT": "canary"})

    assert tags == {
        "ecs_cluster": "bidders",
        "task_family": "openbid-prod",
        "task_version": "42",
        "task_arn": TASK_DOC["TaskARN"],
        "availability_zone": "eu-west-1b",
        "image_tag": "1.4.2",
        "deployment": "canary",
        "task_id": "cd189a933e5849daa93386466019ab50",
    }
    assert tuple(tags) == TAG_NAMES


def test_task_with_tags_marks_the_canary() -> None:
    documents = ecs_documents()
    documents["/v4/abc/taskWithTags"] = {**TASK_DOC, "TaskTags": {CANARY_TASK_TAG: "openbid"}}
    with fake_metadata_endpoint(documents) as uri:
        tags = runtime_tags({METADATA_ENV: uri})
    assert tags["deployment"] == "canary"


def test_deployment_is_stable_by_default_and_the_variable_wins() -> None:
    with fake_metadata_endpoint(ecs_documents()) as uri:
        assert runtime_tags({METADATA_ENV: uri})["deployment"] == "stable"
        assert runtime_tags({METADATA_ENV: uri, "OPENBID_DEPLOYMENT": "Stable "})["deployment"] == (
            "stable"
        )


def test_outside_ecs_hostname_and_version() -> None:
    tags = runtime_tags({})
    assert tags["image_tag"] == tags["task_version"] == __version__
    assert tags["ecs_cluster"] == "none"
    assert tags["task_id"]
    assert tuple(tags) == TAG_NAMES


def test_a_slow_endpoint_gives_up_quickly() -> None:
    with fake_metadata_endpoint(ecs_documents(), delay=5) as uri:
        started = time.monotonic()
        assert read_ecs_metadata({METADATA_ENV: uri}, timeout=0.2) is None
        assert time.monotonic() - started < 2


def test_an_unreachable_or_broken_endpoint_falls_back() -> None:
    assert read_ecs_metadata({METADATA_ENV: "http://127.0.0.1:9/v4/x"}, timeout=0.2) is None
    with fake_metadata_endpoint({"/v4/abc": "not a container"}) as uri:
        assert read_ecs_metadata({METADATA_ENV: uri}) is None
        assert runtime_tags({METADATA_ENV: uri})["ecs_cluster"] == "none"


def test_image_tags() -> None:
    assert image_tag("repo.example:5000/openbid:1.4.2") == "1.4.2"
    assert image_tag("repo.example:5000/openbid") == "latest"
    assert image_tag("openbid@sha256:abc") == "sha256:abc"


def test_canary_tag_is_the_one_deploy_puts_on_the_canary_task() -> None:
    assert CANARY_TASK_TAG == CANARY_TAG
