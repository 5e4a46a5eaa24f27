"""Notices seen lately on this instance: answers a retried notice at once, without the ledger.

The ledger dedupes across instances (and is the authority); this bounded set catches the common
case, an exchange retrying a notice on the same instance, before any work is done.
"""

from collections import OrderedDict


class RecentNotices:
    """A bounded set of notice keys, each remembered for ``seconds``."""

    __slots__ = ("_keys", "_limit", "_seconds")

    def __init__(self, seconds: float, limit: int = 200_000) -> None:
        self._seconds = seconds
        self._limit = limit
        self._keys: OrderedDict[str, float] = OrderedDict()

    def first(self, key: str, now: float) -> bool:
        """True the first time ``key`` is seen (within its time), False for a repeat."""
        keys = self._keys
        until = keys.get(key)
        if until is not None and until > now:
            return False
        keys[key] = now + self._seconds
        keys.move_to_end(key)
        while len(keys) > self._limit:
            keys.popitem(last=False)
        while keys:
            oldest, expiry = next(iter(keys.items()))
            if expiry > now:
                break
            del keys[oldest]
        return True
