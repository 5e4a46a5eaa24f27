"""One targeting dimension as posting lists: value -> bitset of the line items naming it."""

from collections.abc import Iterable, Sequence
from typing import Generic, TypeVar

K = TypeVar("K")


class DimensionIndex(Generic[K]):
    """Answers "which line items accept these request values?" with a couple of dict lookups.

    A line item with an include list is eligible only when the request carries one of its values;
    one without is eligible whatever the request says. An exclude list wins over everything.
    """

    __slots__ = ("_excluded", "_included", "_unrestricted")

    def __init__(self) -> None:
        self._included: dict[K, int] = {}
        self._excluded: dict[K, int] = {}
        self._unrestricted = 0

    def add(self, bit: int, include: Sequence[K], exclude: Sequence[K]) -> None:
        """Register the rule of the line item at ``bit``."""
        mask = 1 << bit
        if include:
            for value in include:
                self._included[value] = self._included.get(value, 0) | mask
        else:
            self._unrestricted |= mask
        for value in exclude:
            self._excluded[value] = self._excluded.get(value, 0) | mask

    def eligible(self, values: Iterable[K]) -> int:
        """Bitset of line items whose rule holds for a request carrying ``values``."""
        allowed = self._unrestricted
        blocked = 0
        for value in values:
            allowed |= self._included.get(value, 0)
            blocked |= self._excluded.get(value, 0)
        return allowed & ~blocked

    def eligible_one(self, value: K | None) -> int:
        """``eligible`` for a dimension the request carries at most one value of."""
        if value is None:
            return self._unrestricted
        return (self._unrestricted | self._included.get(value, 0)) & ~self._excluded.get(value, 0)
