"""JSON log lines with the tags, a run-time level change, and the hot-path sampler."""

import io
import json
import logging
import sys
from collections.abc import Iterator

import pytest

from openbid.telemetry.logging import (
    RequestSampler,
    configure_logging,
    current_level,
    set_level,
)

TAGS = {"ecs_cluster": "bidders", "deployment": "canary", "task_version": "42"}


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    captured = io.StringIO()
    configure_logging("info", TAGS, captured)
    yield captured
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def _lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_lines_are_json_with_level_event_logger_request_id_and_tags(stream: io.StringIO) -> None:
    log = logging.getLogger("openbid.bid")
    log.info("bid %s", "made", extra={"request_id": "req-1", "imp": 2})
    log.debug("hidden")
    try:
        raise ValueError("boom")
    except ValueError:
        log.exception("failed")

    first, second = _lines(stream)
    assert first["level"] == "info"
    assert first["event"] == "bid made"
    assert first["logger"] == "openbid.bid"
    assert first["request_id"] == "req-1"
    assert first["imp"] == 2
    assert isinstance(first["ts"], float)
    assert {key: first[key] for key in TAGS} == TAGS
    assert second["level"] == "error"
    assert "ValueError: boom" in str(second["exc"])


def test_level_changes_at_run_time(stream: io.StringIO) -> None:
    log = logging.getLogger("openbid.x")
    log.debug("before")
    set_level("DEBUG")
    assert current_level() == "debug"
    log.debug("after")
    set_level("warning")
    log.info("quiet")
    assert [line["event"] for line in _lines(stream)] == ["after"]
    with pytest.raises(ValueError, match="log level"):
        set_level("verbose")


def test_sampler_says_yes_once_in_every() -> None:
    sampler = RequestSampler(every=4)
    assert [sampler() for _ in range(8)] == [False, False, False, True] * 2
    always = RequestSampler(every=1)
    assert all(always() for _ in range(3))


def test_the_default_handler_follows_a_replaced_stderr(monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stderr", first)
    handler = configure_logging("info", {})
    try:
        logging.getLogger("openbid.test").info("one")
        first.close()  # a test runner's capture, closed once its command is done
        monkeypatch.setattr(sys, "stderr", second)
        logging.getLogger("openbid.test").info("two")
    finally:
        logging.getLogger().removeHandler(handler)
    assert json.loads(second.getvalue())["event"] == "two"
