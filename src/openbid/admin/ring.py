"""The last N bid requests, sampled, kept as the bytes the bid path already has.

Recording is O(1) and copies nothing: a counter, a modulo and one list store. The admin API
re-decodes them only when asked (see :mod:`openbid.admin.why`).
"""

from typing import NamedTuple


class RecordedRequest(NamedTuple):
    """One kept request: its body, the exchange it came from, its arrival (epoch seconds)."""

    body: bytes
    exchange: str
    received_at: float


class RequestRing:
    """A ring buffer of every ``every``-th request, ``size`` deep."""

    __slots__ = ("_entries", "_next", "_seen", "every", "size")

    def __init__(self, size: int = 1000, every: int = 1) -> None:
        if size < 1 or every < 1:
            raise ValueError("size and every are at least 1")
        self.size = size
        self.every = every
        # Plain tuples: building the NamedTuple costs more than the rest of ``record``.
        self._entries: list[tuple[bytes, str, float] | None] = [None] * size
        self._next = 0
        self._seen = 0

    def record(self, body: bytes, exchange: str, received_at: float) -> None:
        """Keep this request if it is the ``every``-th since the last one kept."""
        seen = self._seen + 1
        self._seen = seen
        if seen % self.every:
            return
        position = self._next
        self._entries[position] = (body, exchange, received_at)
        self._next = position + 1 if position + 1 < self.size else 0

    @property
    def seen(self) -> int:
        """Requests offered so far, kept or not."""
        return self._seen

    def latest(self, limit: int) -> list[RecordedRequest]:
        """Up to ``limit`` of the most recent requests kept, oldest first."""
        ordered = self._entries[self._next :] + self._entries[: self._next]
        kept = [RecordedRequest(*entry) for entry in ordered if entry is not None]
        return kept[-limit:] if limit > 0 else []
