"""The stdout sink: JSON lines for a log router (FireLens / Fluent Bit) to ship.

The bidder's own logs go to stderr, so stdout carries events only. A router that reads slowly
blocks this writer thread, never the bid path: the queue fills and drops are counted.
"""

from collections.abc import Sequence
from typing import BinaryIO

from openbid.events.schema import Event
from openbid.events.sink import encode_lines


class StdoutSink:
    """Writes each batch as JSON lines to a binary stream (``sys.stdout.buffer``)."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream

    def write(self, events: Sequence[Event]) -> None:
        """Write and flush the batch."""
        self._stream.write(encode_lines(events))
        self._stream.flush()

    def tick(self) -> None:
        """Nothing to rotate."""

    def close(self, deadline: float) -> bool:
        """Flush the stream."""
        self._stream.flush()
        return True
