"""Money is integer micros (millionths of a currency unit) everywhere inside openbid."""

from decimal import ROUND_HALF_EVEN, Decimal

MICROS_PER_UNIT = 1_000_000


def decimal_to_micros(amount: Decimal) -> int:
    """An exact catalog amount (at most 6 decimal places) as micros."""
    return int((amount * MICROS_PER_UNIT).to_integral_value(ROUND_HALF_EVEN))


def price_to_micros(price: float) -> int:
    """A wire-format price (a float CPM) as the nearest micro."""
    return round(price * MICROS_PER_UNIT)


def micros_to_price(micros: int) -> float:
    """Micros as the float the wire format carries; exact for up to 6 decimals' round trip."""
    return micros / MICROS_PER_UNIT
