"""The bounded hand-off between the bid path and the event writer: put never blocks.

A ``collections.deque`` without ``maxlen`` (whose append would silently evict the *oldest*
event) and a length check instead: when full, the *new* event is refused and counted, so what
was already accepted is kept. ``append`` and ``popleft`` are atomic under the interpreter lock,
so one producer (the event loop) and one consumer (the writer thread) need no lock; the deque
reuses its freed 64-slot blocks, so a steady stream allocates nothing but the events.
"""

import logging
import time
from collections import deque
from typing import Generic, TypeVar

log = logging.getLogger("openbid.events")

T = TypeVar("T")

DROP_LOG_INTERVAL = 10.0
"""Seconds between two warnings about dropped events."""


class EventQueue(Generic[T]):
    """A bounded FIFO whose ``put`` refuses and counts what does not fit."""

    __slots__ = ("_items", "_last_warning", "_warned_drops", "capacity", "dropped")

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("an event queue holds at least one event")
        self._items: deque[T] = deque()
        self.capacity = capacity
        self.dropped = 0
        """Events refused because the queue was full (or closed), since it was made."""
        self._warned_drops = 0
        self._last_warning = -DROP_LOG_INTERVAL

    def put(self, item: T) -> bool:
        """Queue ``item``, or count it as dropped when the queue is full; O(1), never blocks."""
        if len(self._items) >= self.capacity:
            self.dropped += 1
            self._warn()
            return False
        self._items.append(item)
        return True

    def _warn(self) -> None:
        now = time.monotonic()
        if now - self._last_warning >= DROP_LOG_INTERVAL:
            log.warning(
                "event queue full (capacity %d) or closed: %d events dropped since the last "
                "warning, %d in all",
                self.capacity,
                self.dropped - self._warned_drops,
                self.dropped,
            )
            self._last_warning = now
            self._warned_drops = self.dropped

    def take(self, limit: int) -> list[T]:
        """Remove and return up to ``limit`` of the oldest items (the consumer's side)."""
        items = self._items
        count = min(limit, len(items))
        return [items.popleft() for _ in range(count)]

    def close(self) -> None:
        """Refuse (and count) everything put from now on; what is queued can still be taken."""
        self.capacity = 0

    def __len__(self) -> int:
        """How many items wait."""
        return len(self._items)
