"""The bounded queue: a full queue refuses new events and counts them, never blocks."""

import logging

import pytest

from openbid.events import queue as queue_module
from openbid.events.queue import EventQueue


def test_full_queue_drops_new_items_and_counts_them() -> None:
    queue: EventQueue[int] = EventQueue(3)
    assert [queue.put(n) for n in range(5)] == [True, True, True, False, False]
    assert queue.dropped == 2
    assert queue.take(10) == [0, 1, 2]
    assert queue.put(9)
    assert queue.take(10) == [9]


def test_take_is_fifo_and_bounded() -> None:
    queue: EventQueue[int] = EventQueue(100)
    for n in range(10):
        queue.put(n)
    assert queue.take(4) == [0, 1, 2, 3]
    assert len(queue) == 6


def test_drops_are_logged_at_most_once_per_interval(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [1000.0]
    monkeypatch.setattr("openbid.events.queue.time.monotonic", lambda: now[0])
    queue: EventQueue[int] = EventQueue(1)
    queue.put(0)
    with caplog.at_level(logging.WARNING, logger="openbid.events"):
        for _ in range(50):
            queue.put(1)
        now[0] += queue_module.DROP_LOG_INTERVAL
        queue.put(1)
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 2
    assert "1 events dropped since the last warning, 1 in all" in warnings[0]
    assert "50 events dropped since the last warning, 51 in all" in warnings[1]


def test_closed_queue_refuses_everything_but_keeps_what_it_holds() -> None:
    queue: EventQueue[int] = EventQueue(10)
    queue.put(1)
    queue.close()
    assert not queue.put(2)
    assert queue.dropped == 1
    assert queue.take(10) == [1]
