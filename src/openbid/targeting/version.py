"""OS versions as integer tuples, inclusive bounds on them, and the line items a version admits.

``min`` is compared component by component, missing components counting as zero (``14`` =
``14.0``). ``max`` is compared at its own precision, so ``max: "17"`` admits 17.4 and
``max: "17.0"`` admits 17.0.3 but not 17.1.
"""

import re

from openbid.targeting.bitset import from_positions
from openbid.targeting.dimension import Step
from openbid.targeting.features import RequestFeatures

Version = tuple[int, ...]
CACHE_SIZE = 1024  # distinct `osv` strings remembered; requests repeat a few hundred at most
_SEPARATORS = re.compile(r"[._]")
_LEADING_DIGITS = re.compile(r"\d+")


def parse_version(text: str) -> Version | None:
    """``"17.4.1"`` -> (17, 4, 1); ``"10_3"`` -> (10, 3); ``"10.0b2"`` -> (10, 0); None when it
    does not start with a number."""
    parts: list[int] = []
    for piece in _SEPARATORS.split(text.strip()):
        digits = _LEADING_DIGITS.match(piece)
        if digits is None:
            break
        parts.append(int(digits.group()))
        if digits.end() != len(piece):
            break
    return tuple(parts) if parts else None


def _padded(version: Version, length: int) -> Version:
    return version + (0,) * (length - len(version))


def in_range(version: Version, low: Version | None, high: Version | None) -> bool:
    """Whether ``low <= version`` and ``version``, cut to ``high``'s precision, ``<= high``."""
    if low is not None:
        length = max(len(version), len(low))
        if _padded(version, length) < _padded(low, length):
            return False
    return high is None or _padded(version[: len(high)], len(high)) <= high


class VersionIndex:
    """Line items by OS version bounds; the answer for each distinct ``osv`` string is cached."""

    __slots__ = ("_bits", "_bounds", "_cache", "unrestricted", "used")

    def __init__(self) -> None:
        self._bits: dict[tuple[Version | None, Version | None], list[int]] = {}
        self._bounds: dict[tuple[Version | None, Version | None], int] = {}
        self._cache: dict[str, int] = {}
        self.unrestricted = 0
        self.used = False

    def add(self, bit: int, low: Version | None, high: Version | None) -> None:
        """Register the bounds of the line item at ``bit`` (both None: no bounds)."""
        if low is not None or high is not None:
            self._bits.setdefault((low, high), []).append(bit)

    def freeze(self, everyone: int) -> None:
        """Turn the collected bits into bitsets; ``everyone`` is the set of all line items."""
        self._bounds = {bounds: from_positions(bits) for bounds, bits in self._bits.items()}
        restricted = 0
        for bits in self._bounds.values():
            restricted |= bits
        self.unrestricted = everyone & ~restricted
        self.used = bool(self._bounds)
        self._bits = {}

    def step(self) -> Step:
        """The request-time check: the bound ``restrict``."""
        return self.restrict

    def restrict(self, features: RequestFeatures, mask: int) -> int:
        """``mask`` narrowed to line items whose bounds admit the request's ``osv``; a request
        without a (readable) version passes only line items without bounds."""
        osv = features.osv()
        if osv is None:
            return mask & self.unrestricted
        allowed = self._cache.get(osv)
        if allowed is None:
            allowed = self._admitting(osv)
        return mask & allowed

    def _admitting(self, osv: str) -> int:
        allowed = self.unrestricted
        version = parse_version(osv)
        if version is not None:
            for (low, high), bits in self._bounds.items():
                if in_range(version, low, high):
                    allowed |= bits
        if len(self._cache) >= CACHE_SIZE:
            self._cache.clear()
        self._cache[osv] = allowed
        return allowed
