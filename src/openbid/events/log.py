"""The event log: ``emit`` on the bid path, a writer thread that batches to a sink.

Why a thread and not an asyncio task: encoding a batch, compressing it and writing or uploading
it would run on the event loop and stall every request in flight for as long. In the thread,
the expensive steps are single C calls that release the interpreter lock (Arrow's JSON reader
and Parquet writer, zlib, ``os.write``, sockets); what holds it is moving events off the queue
and ``msgspec`` encoding, done in chunks of ``CHUNK`` events so no single hold is long
(``bench/events_overhead.py`` measures the longest stall it causes on another thread). The
thread also runs ``WRITER_NICENESS`` steps nicer than the process: turning a 64 MB journal into
Parquet takes about 0.4 s of CPU, and on a core shared with the event loop the scheduler would
otherwise split that core evenly between the two while it runs, and requests would queue.

Durability: every ``batch_window`` seconds the writer takes what is queued and hands it to the
sink, which journals it, so a crash loses at most the window being collected. ``flush`` forces
that now; ``close`` drains everything, finishes every file and (for S3) uploads, by a deadline.
"""

import logging
import os
import sys
import threading
import time

import msgspec

from openbid.events.queue import EventQueue
from openbid.events.schema import Event
from openbid.events.sink import Sink
from openbid.events.url import open_sink

log = logging.getLogger("openbid.events")

DEFAULT_BATCH_WINDOW = 1.0
DEFAULT_CAPACITY = 100_000
ERROR_LOG_INTERVAL = 30.0
CHUNK = 500
"""Events encoded per sink call: bounds how long the writer holds the interpreter lock (about
0.25 ms; 5,000 held it 2.5 ms at a time)."""
WRITER_NICENESS = 10
"""How much nicer the writer thread runs than the event loop (CFS weights: about 1 to 10)."""


def _lower_thread_priority(steps: int) -> None:
    """Make the calling thread ``steps`` nicer (Linux, where niceness is per thread)."""
    if not sys.platform.startswith("linux"):
        return
    thread = threading.get_native_id()
    nice = os.getpriority(os.PRIO_PROCESS, thread)
    os.setpriority(os.PRIO_PROCESS, thread, min(19, nice + steps))


class EventLogStats(msgspec.Struct, frozen=True):
    """Counters for metrics: events dropped (queue full), written, and lost to sink errors
    since start; ``queued`` is the current depth."""

    dropped: int
    written: int
    failed: int
    queued: int


class EventLog:
    """A bounded queue of events and the thread that writes them to ``sink`` in batches."""

    def __init__(
        self,
        sink: Sink,
        *,
        batch_window: float = DEFAULT_BATCH_WINDOW,
        capacity: int = DEFAULT_CAPACITY,
    ) -> None:
        if batch_window <= 0:
            raise ValueError("the batch window must be above 0 seconds")
        self._sink = sink
        self._window = batch_window
        self._queue: EventQueue[Event] = EventQueue(capacity)
        self._wake = threading.Event()
        self._done = threading.Condition()
        self._flush_asked = 0
        self._flush_done = 0
        self._stopping = False
        self._deadline = float("inf")
        self._sink_closed = False
        self._written = 0
        self._failed = 0
        self._last_error_log = -ERROR_LOG_INTERVAL
        self._thread = threading.Thread(target=self._run, name="openbid-events", daemon=True)
        self._thread.start()

    def emit(self, event: Event) -> bool:
        """Queue an event for writing; False (and counted) when the queue is full. O(1), never
        blocks: call it from the event loop."""
        return self._queue.put(event)

    def flush(self, timeout: float | None = None) -> bool:
        """Block until everything queued so far is in the sink's hands (journaled); False on
        timeout. Not for the event loop: it waits for the writer thread."""
        if not self._thread.is_alive():  # closed: nothing will be written any more
            return not len(self._queue)
        with self._done:
            self._flush_asked += 1
            asked = self._flush_asked
            self._wake.set()
            return self._done.wait_for(lambda: self._flush_done >= asked, timeout)

    def close(self, timeout: float = 30.0) -> bool:
        """Refuse new events, write every queued one, finish (and upload) every file; True when
        all of it was done within ``timeout`` seconds. Blocks: call it off the event loop."""
        self._queue.close()
        self._deadline = time.monotonic() + timeout
        self._stopping = True
        self._wake.set()
        self._thread.join(timeout)
        return not self._thread.is_alive() and self._sink_closed and not len(self._queue)

    def stats(self) -> EventLogStats:
        """The counters now."""
        return EventLogStats(self._queue.dropped, self._written, self._failed, len(self._queue))

    def _run(self) -> None:
        _lower_thread_priority(WRITER_NICENESS)
        while True:
            self._wake.wait(self._window)
            self._wake.clear()
            stopping, asked = self._stopping, self._flush_asked
            self._drain()
            try:
                self._sink.tick()
            except Exception:
                self._sink_failed("rotating files failed")
            with self._done:
                self._flush_done = asked
                self._done.notify_all()
            if stopping:
                break
        try:
            self._sink_closed = self._sink.close(self._deadline)
        except Exception:
            self._sink_failed("closing the event sink failed")

    def _drain(self) -> None:
        while batch := self._queue.take(CHUNK):
            try:
                self._sink.write(batch)
            except Exception:
                self._failed += len(batch)
                self._sink_failed(f"writing events failed: {len(batch)} events lost")
            else:
                self._written += len(batch)

    def _sink_failed(self, message: str) -> None:
        """Log a sink error with its traceback, at most once per ``ERROR_LOG_INTERVAL``."""
        now = time.monotonic()
        if now - self._last_error_log >= ERROR_LOG_INTERVAL:
            self._last_error_log = now
            log.exception("%s (%d events lost in all)", message, self._failed)


def open_event_log(
    url: str, *, batch_window: float = DEFAULT_BATCH_WINDOW, capacity: int = DEFAULT_CAPACITY
) -> EventLog | None:
    """The event log an ``--events`` URL names, writer started; None for ``none``.

    Raises :class:`~openbid.events.url.EventsUrlError` for a URL that names no sink.
    """
    sink = open_sink(url)
    if sink is None:
        return None
    return EventLog(sink, batch_window=batch_window, capacity=capacity)
