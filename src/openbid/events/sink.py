"""What the event writer hands its batches to: local files, S3 or stdout."""

from collections.abc import Sequence
from typing import Protocol

import msgspec

from openbid.events.schema import Event

encode_lines = msgspec.json.Encoder().encode_lines
"""Events as JSON lines, in one call (the form journals, stdout and JSONL files share)."""


class Sink(Protocol):
    """A destination for event batches; called from the writer thread only."""

    def write(self, events: Sequence[Event]) -> None:
        """Take a batch: once this returns, a crash of the process no longer loses it."""

    def tick(self) -> None:
        """Housekeeping between batches: rotate files whose time is up."""

    def close(self, deadline: float) -> bool:
        """Finish every file (and upload it) by ``deadline`` (``time.monotonic``); True when
        nothing was left behind."""
