"""Notice keys remembered for a while, in about 26 bytes each (the in-process ledger's dedupe).

A key of the usual form, ``KIND:`` + an 8-character bid-id prefix + a hex counter (see
:class:`openbid.bidder.response.BidIds`), is stored as one exact 64-bit code: the index of its
``KIND:PREFIX`` head (16 bits) and its counter (48 bits). Two different keys never share a code,
so no notice is ever taken for another. Codes live in sorted ``array('Q')`` shards, and a log in
arrival order (code and when it may be forgotten, 16 bytes) lets :meth:`NoticeMemory.expire`
forget keys a few at a time from its front, as they come due. Any other key is kept as it is, in
an ordered dict. With a ``limit``, the oldest keys of each kind are forgotten early once there
are more than that: for a cache in front of the authority, never for the authority itself.
"""

from array import array
from bisect import bisect_left, bisect_right
from collections import OrderedDict, deque

HEAD_BITS = 16  # index of the key's "KIND:PREFIX" head
COUNTER_BITS = 48  # the bid id's counter: 12 hex digits at most
PREFIX_CHARS = 8  # BidIds' random prefix, token_hex(4)
SHARD_BITS = 12  # shards of the index, chosen by the counter's low bits
SHARD_MASK = (1 << SHARD_BITS) - 1
LOG_CHUNK = 4096  # log entries per chunk: a drained chunk is let go of whole


class NoticeMemory:
    """A set of keys, each remembered from when it is added until ``seconds`` later (or until
    ``limit`` newer keys of its kind have been added)."""

    __slots__ = (
        "_count",
        "_fallback",
        "_front",
        "_heads",
        "_latest",
        "_limit",
        "_log",
        "_seconds",
        "_shards",
    )

    def __init__(self, seconds: float, limit: int | None = None) -> None:
        if limit is not None and limit < 1:
            raise ValueError("a notice memory's limit is at least 1 key")
        self._seconds = seconds
        self._limit = limit
        self._heads: dict[str, int] = {}
        self._shards: list[array[int] | None] = [None] * (1 << SHARD_BITS)
        self._count = 0
        # (codes, until) chunks in arrival order; _front is how far the first one is drained
        self._log: deque[tuple[array[int], array[float]]] = deque()
        self._front = 0
        self._latest = 0.0  # when the last key logged may be forgotten
        self._fallback: OrderedDict[str, float] = OrderedDict()  # other keys -> until

    def __len__(self) -> int:
        return self._count + len(self._fallback)

    def _code(self, key: str) -> int | None:
        """The key's exact code, or None when it is not of the usual form."""
        split = key.find(":") + 1 + PREFIX_CHARS
        counter = key[split:]
        if split <= PREFIX_CHARS or not 0 < len(counter) <= COUNTER_BITS // 4:
            return None
        try:
            value = int(counter, 16)
        except ValueError:
            return None
        if hex(value)[2:] != counter:  # one spelling per number: no "0a", "A", "0x", "_", "-"
            return None
        head = self._heads.get(key[:split])
        if head is None:
            head = self._head(key[:split])
            if head is None:
                return None
        return head << COUNTER_BITS | value

    def _head(self, head: str) -> int | None:
        """A new head's index, or None when the table is full."""
        heads = self._heads
        if len(heads) >= 1 << HEAD_BITS:
            return None
        heads[head] = index = len(heads)
        return index

    def add(self, key: str, now: float) -> bool:
        """Remember ``key`` and answer True, or False when it is remembered already; call
        :meth:`expire` with the same ``now`` first."""
        code = self._code(key)
        if code is None:
            fallback = self._fallback
            if key in fallback:
                return False
            fallback[key] = now + self._seconds
            if self._limit is not None and len(fallback) > self._limit:
                fallback.popitem(last=False)
            return True
        shards = self._shards
        slot = code & SHARD_MASK
        shard = shards[slot]
        if shard is None:
            shard = shards[slot] = array("Q")
        at = bisect_left(shard, code)
        if at < len(shard) and shard[at] == code:
            return False
        shard.insert(at, code)
        self._count += 1
        codes, untils = self._log[-1] if self._log else self._chunk()
        if len(codes) >= LOG_CHUNK:
            codes, untils = self._chunk()
        codes.append(code)
        # never before the key logged last (should the wall clock step back), so the log stays
        # in order and the keys due are a prefix of it
        self._latest = until = max(now + self._seconds, self._latest)
        untils.append(until)
        if self._limit is not None and self._count > self._limit:
            self._forget_front(float("-inf"), self._count - self._limit)
        return True

    def first(self, key: str, now: float) -> bool:
        """Forget what is due by ``now``, then :meth:`add` ``key``: True the first time."""
        self.expire(now)
        return self.add(key, now)

    def _chunk(self) -> tuple["array[int]", "array[float]"]:
        """A new chunk at the end of the log."""
        chunk = (array("Q"), array("d"))
        self._log.append(chunk)
        return chunk

    def expire(self, now: float) -> None:
        """Forget the keys whose time is over, oldest first, stopping at the first that is not."""
        fallback = self._fallback
        while fallback:
            oldest, until = next(iter(fallback.items()))
            if until > now:
                break
            del fallback[oldest]
        self._forget_front(now, 0)

    def _forget_front(self, now: float, at_least: int) -> None:
        """Forget, from the front of the log, every key due by ``now`` and ``at_least`` keys."""
        log, shards = self._log, self._shards
        while log:
            codes, untils = log[0]
            at, end = self._front, len(codes)
            due = bisect_right(untils, now, at)  # untils never decrease: see add
            due = max(due, min(end, at + at_least))
            for code in codes[at:due]:
                shard = shards[code & SHARD_MASK]
                assert shard is not None
                del shard[bisect_left(shard, code)]
            self._count -= due - at
            at_least -= due - at
            self._front = due
            if due < end:
                return
            log.popleft()  # drained: a new chunk starts with the next key
            self._front = 0
