"""The event log: batches by window, flush and close drain everything, emit never blocks even
while the writer is stuck, and a failing sink does not stop the writer."""

import asyncio
import os
import sys
import threading
import time
from collections.abc import Sequence

import pytest
from event_streams import stream

from openbid.events.log import WRITER_NICENESS, EventLog
from openbid.events.schema import Event


class RecordingSink:
    """Keeps every batch; can be made slow or failing."""

    def __init__(self, delay: float = 0.0, fail: bool = False) -> None:
        self.batches: list[tuple[float, list[Event]]] = []
        self.delay = delay
        self.fail = fail
        self.ticks = 0
        self.closed_with: float | None = None
        self.lock = threading.Lock()

    def write(self, events: Sequence[Event]) -> None:
        time.sleep(self.delay)
        if self.fail:
            raise OSError("disk full")
        with self.lock:
            self.batches.append((time.monotonic(), list(events)))

    def tick(self) -> None:
        self.ticks += 1

    def close(self, deadline: float) -> bool:
        self.closed_with = deadline
        return True

    def events(self) -> list[Event]:
        with self.lock:
            return [event for _, batch in self.batches for event in batch]


def test_events_are_written_in_batches_per_window() -> None:
    sink = RecordingSink()
    log = EventLog(sink, batch_window=0.3)
    events, _ = stream(200)
    started = time.monotonic()
    for event in events[:100]:
        log.emit(event)
    time.sleep(0.1)
    assert sink.events() == []  # still collecting the window
    deadline = time.monotonic() + 5
    while not sink.batches and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sink.events() == events[:100]
    assert sink.batches[0][0] - started == pytest.approx(0.3, abs=0.2)
    for event in events[100:]:
        log.emit(event)
    assert log.close(5)
    assert sink.events() == events
    assert log.stats().written == len(events)


def test_flush_hands_over_everything_queued_at_once() -> None:
    sink = RecordingSink()
    log = EventLog(sink, batch_window=60)
    events, _ = stream(50)
    for event in events:
        log.emit(event)
    assert log.flush(timeout=5)
    assert sink.events() == events
    assert log.close(5)


def test_close_drains_then_refuses_new_events() -> None:
    sink = RecordingSink()
    log = EventLog(sink, batch_window=60)
    events, _ = stream(100)
    for event in events:
        log.emit(event)
    assert log.close(timeout=5)
    assert sink.events() == events
    assert sink.closed_with is not None
    assert not log.emit(events[0])
    assert log.stats().dropped == 1
    assert log.flush(timeout=None)  # returns at once: nothing is left to write


def test_emit_never_blocks_while_the_writer_is_stuck() -> None:
    sink = RecordingSink(delay=0.5)
    log = EventLog(sink, batch_window=0.01, capacity=1000)
    events, _ = stream(2000)
    slowest = 0.0
    accepted = 0

    async def producer(mine: list[Event]) -> None:
        nonlocal slowest, accepted
        for event in mine:
            began = time.perf_counter()
            accepted += log.emit(event)
            slowest = max(slowest, time.perf_counter() - began)
            await asyncio.sleep(0)

    async def main() -> None:
        await asyncio.gather(*(producer(events[n::20]) for n in range(20)))

    asyncio.run(main())
    assert slowest < 0.01  # the writer sleeps 0.5 s per batch; emit never waited for it
    stats = log.stats()
    assert stats.dropped > 0
    assert accepted + stats.dropped == len(events)
    assert log.close(10)
    assert len(sink.events()) == accepted


def test_a_failing_sink_counts_lost_events_and_the_writer_goes_on() -> None:
    sink = RecordingSink(fail=True)
    log = EventLog(sink, batch_window=0.01)
    events, _ = stream(30)
    for event in events:
        log.emit(event)
    assert log.flush(5)
    assert log.stats().failed == len(events)
    sink.fail = False
    log.emit(events[0])
    assert log.flush(5)
    assert sink.events() == [events[0]]
    assert log.close(5)


def test_batch_window_must_be_positive() -> None:
    with pytest.raises(ValueError, match="batch window"):
        EventLog(RecordingSink(), batch_window=0)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread niceness is Linux's")
def test_the_writer_runs_nicer_than_the_event_loop() -> None:
    niceness: list[int] = []

    class NiceRecordingSink(RecordingSink):
        def write(self, events: Sequence[Event]) -> None:
            niceness.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
            super().write(events)

    log = EventLog(NiceRecordingSink(), batch_window=60)
    log.emit(stream(1)[0][0])
    assert log.flush(timeout=5)
    assert log.close(5)
    ours = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    assert niceness == [min(19, ours + WRITER_NICENESS)]
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == ours  # unchanged here
