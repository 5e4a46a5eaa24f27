"""Currency conversion of micros between the catalog currency and what an exchange asks for."""

from collections.abc import Mapping, Sequence
from decimal import Decimal
from fractions import Fraction

DEFAULT_CURRENCY = "USD"  # OpenRTB: what an absent `cur` / `bidfloorcur` means


class CurrencyTable:
    """Rates against one base currency; converts micros exactly with an explicit rounding side."""

    __slots__ = ("_factors", "base", "rates")

    def __init__(self, base: str, rates: Mapping[str, Decimal]) -> None:
        self.base = base
        self.rates: dict[str, Fraction] = {code: Fraction(rate) for code, rate in rates.items()}
        self.rates[base] = Fraction(1)
        self._factors: dict[tuple[str, str], tuple[int, int]] = {}
        for source, source_rate in self.rates.items():
            for target, target_rate in self.rates.items():
                factor = target_rate / source_rate
                self._factors[source, target] = (factor.numerator, factor.denominator)

    def knows(self, code: str) -> bool:
        """Whether amounts in ``code`` can be converted."""
        return code in self.rates

    def convert(self, micros: int, source: str, target: str, *, round_up: bool) -> int:
        """``micros`` of ``source`` in ``target``; round up for floors, down for bids."""
        if source == target:
            return micros
        numerator, denominator = self._factors[source, target]
        if round_up:
            return -(-micros * numerator // denominator)
        return micros * numerator // denominator

    def choose(self, allowed: Sequence[str] | None) -> str | None:
        """The currency to answer in: the base if allowed, else the first allowed one we have a
        rate for; an absent list means the spec's default, USD. None when we can quote in none."""
        candidates = allowed or (DEFAULT_CURRENCY,)
        if self.base in candidates:
            return self.base
        for code in candidates:
            if code in self.rates:
                return code
        return None
