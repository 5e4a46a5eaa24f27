"""One targeting dimension as posting lists: value -> bitset of the line items naming it.

Every part of the targeting index (these, and the radius, version, supply chain and time
parts) is built with ``add`` per line item and ``freeze``; ``step()`` then gives the function the
bid path calls with the request's features and the set of line items still in the running.
"""

from collections.abc import Callable, Iterable, Sequence
from typing import Generic, TypeVar

from openbid.targeting.bitset import from_positions
from openbid.targeting.features import RequestFeatures

K = TypeVar("K")
Step = Callable[[RequestFeatures, int], int]  # (features, line items) -> those still eligible


class DimensionIndex(Generic[K]):
    """Answers "which line items accept these request values?" with a few dict lookups.

    A line item with an include list is eligible only when the request carries one of its values;
    one without is eligible whatever the request says. An exclude list wins over everything, and
    a value the request does not carry excludes nothing. Built with ``add``, then ``freeze``.
    """

    __slots__ = (
        "_exclude_bits", "_include_bits", "_included", "_keep", "_restricted", "unrestricted",
        "used",
    )  # fmt: skip

    def __init__(self) -> None:
        self._include_bits: dict[K, list[int]] = {}
        self._exclude_bits: dict[K, list[int]] = {}
        self._restricted: list[int] = []
        self._included: dict[K, int] = {}  # value -> line items including it
        self._keep: dict[K, int] = {}  # value -> line items NOT excluding it
        self.unrestricted = 0  # line items without an include list
        self.used = False

    def add(self, bit: int, include: Iterable[K], exclude: Iterable[K]) -> None:
        """Register the rule of the line item at ``bit`` (values already normalised)."""
        named = False
        for value in include:
            self._include_bits.setdefault(value, []).append(bit)
            named = True
        if named:
            self._restricted.append(bit)
        for value in exclude:
            self._exclude_bits.setdefault(value, []).append(bit)

    def freeze(self, everyone: int) -> None:
        """Turn the collected bits into bitsets; ``everyone`` is the set of all line items."""
        restricted = from_positions(self._restricted)
        self.unrestricted = everyone & ~restricted
        self._included = {v: from_positions(bits) for v, bits in self._include_bits.items()}
        self._keep = {v: everyone & ~from_positions(b) for v, b in self._exclude_bits.items()}
        self.used = bool(restricted or self._keep)
        self._include_bits, self._exclude_bits, self._restricted = {}, {}, []


class SingleValueIndex(DimensionIndex[K]):
    """A dimension the request carries at most one value of (a country, an OS, ...)."""

    __slots__ = ("_eligible", "_key")

    def __init__(self, key: Callable[[RequestFeatures], K | None]) -> None:
        super().__init__()
        self._key = key
        self._eligible: dict[K, int] = {}

    def freeze(self, everyone: int) -> None:
        """Also precompute, per named value, the line items eligible for it: one AND per request."""
        super().freeze(everyone)
        included = self._included
        unrestricted = self.unrestricted
        self._eligible = {
            value: (unrestricted | included.get(value, 0)) & self._keep.get(value, everyone)
            for value in {*included, *self._keep}
        }

    def step(self) -> Step:
        """The request-time check, a closure over the frozen tables (no attribute lookups)."""
        key, eligible, unrestricted = self._key, self._eligible.get, self.unrestricted

        def restrict(features: RequestFeatures, mask: int) -> int:
            value = key(features)
            if value is None:
                return mask & unrestricted
            return mask & eligible(value, unrestricted)

        return restrict


class MultiValueIndex(DimensionIndex[K]):
    """A dimension the request may carry several values of: any included one admits, any
    excluded one shuts out (site domain suffixes, categories, languages, segments)."""

    __slots__ = ("_key",)

    def __init__(self, key: Callable[[RequestFeatures], Sequence[K]]) -> None:
        super().__init__()
        self._key = key

    def step(self) -> Step:
        """The request-time check, a closure over the frozen tables (no attribute lookups)."""
        key, included, keep, unrestricted = self._key, self._included, self._keep, self.unrestricted

        def restrict(features: RequestFeatures, mask: int) -> int:
            values = key(features)
            allowed = unrestricted
            for value in values:
                bits = included.get(value)
                if bits is not None:
                    allowed |= bits
            mask &= allowed
            if keep:
                for value in values:
                    kept = keep.get(value)
                    if kept is not None:
                        mask &= kept
            return mask

        return restrict
