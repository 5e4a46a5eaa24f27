"""A live capture the admin API arms: the next N requests and the answers given to them.

Disarmed, the bid path pays one attribute check (``if tap.armed``); armed, it hands over the
bytes it already has. Captures are bounded in count and are one at a time.
"""

import asyncio
import contextlib
import time
from typing import NamedTuple

MAX_CAPTURE = 1000


class Captured(NamedTuple):
    """One request and its answer, as bytes on the wire (uncompressed)."""

    received_at: float
    exchange: str
    request: bytes
    status: int
    response: bytes


class CaptureBusyError(RuntimeError):
    """Another capture is running."""


class LiveTap:
    """Collects the next ``count`` requests and responses once armed."""

    __slots__ = ("_done", "_entries", "_wanted", "armed")

    def __init__(self) -> None:
        self.armed = False
        self._wanted = 0
        self._entries: list[Captured] = []
        self._done: asyncio.Event | None = None

    def offer(self, exchange: str, request: bytes, status: int, response: bytes) -> None:
        """Keep one request and its answer (call only while ``armed``)."""
        self._entries.append(Captured(time.time(), exchange, request, status, response))
        if len(self._entries) >= self._wanted:
            self.armed = False
            if self._done is not None:
                self._done.set()

    async def capture(self, count: int, timeout: float) -> list[Captured]:
        """Arm for ``count`` exchanges (at most ``MAX_CAPTURE``) and return what arrived
        within ``timeout`` seconds. Raises CaptureBusyError while another capture runs."""
        if self._done is not None:
            raise CaptureBusyError("a capture is already running")
        self._entries, self._wanted = [], max(1, min(count, MAX_CAPTURE))
        done = self._done = asyncio.Event()
        self.armed = True
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), timeout)
        finally:
            self.armed = False
            self._done = None
        entries, self._entries = self._entries, []
        return entries
