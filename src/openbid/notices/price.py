"""Clearing prices as exchanges send them in ``${AUCTION_PRICE}``: clear-text CPMs, in micros."""

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from openbid.pricing.money import MICROS_PER_UNIT

MAX_PRICE = Decimal(100_000)  # a CPM above this is not a price anyone pays
MAX_PRICE_CHARS = 32


def clear_price_micros(text: str | None) -> int | None:
    """A decimal CPM such as ``1.25`` as micros; None when absent, not a plain non-negative
    number, or absurdly large (an unsubstituted macro, a typo, an attack)."""
    if not text or len(text) > MAX_PRICE_CHARS:
        return None
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount < 0 or amount > MAX_PRICE:
        return None
    return int((amount * MICROS_PER_UNIT).to_integral_value(ROUND_HALF_EVEN))
