"""Currency conversion in micros: exact, with floors rounded up and bids rounded down."""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from openbid.pricing.currency import CurrencyTable
from openbid.pricing.money import decimal_to_micros, micros_to_price, price_to_micros

TABLE = CurrencyTable(
    "USD", {"EUR": Decimal("0.92"), "JPY": Decimal("150"), "GBP": Decimal("0.79")}
)
CODES = st.sampled_from(["USD", "EUR", "JPY", "GBP"])
MICROS = st.integers(min_value=0, max_value=10_000 * 1_000_000)


def test_known_conversions() -> None:
    assert TABLE.convert(2_000_000, "USD", "EUR", round_up=False) == 1_840_000
    assert TABLE.convert(1_000_000, "EUR", "USD", round_up=False) == 1_086_956
    assert TABLE.convert(1_000_000, "EUR", "USD", round_up=True) == 1_086_957
    assert TABLE.convert(1_000_000, "JPY", "GBP", round_up=True) == 5_267


def test_choose_response_currency() -> None:
    assert TABLE.choose(None) == "USD"
    assert TABLE.choose([]) == "USD"
    assert TABLE.choose(["EUR", "USD"]) == "USD"
    assert TABLE.choose(["CHF", "GBP", "EUR"]) == "GBP"
    assert TABLE.choose(["CHF"]) is None
    euro_table = CurrencyTable("EUR", {"USD": Decimal("1.09")})
    assert euro_table.choose(None) == "USD"
    assert not CurrencyTable("EUR", {}).knows("USD")


@given(MICROS, CODES, CODES)
def test_rounding_sides(micros: int, source: str, target: str) -> None:
    down = TABLE.convert(micros, source, target, round_up=False)
    up = TABLE.convert(micros, source, target, round_up=True)
    assert 0 <= up - down <= 1
    exact = micros * TABLE.rates[target] / TABLE.rates[source]
    assert down <= exact <= up


@given(MICROS, CODES, CODES)
def test_a_bid_converted_down_never_beats_a_floor_converted_up(
    micros: int, source: str, target: str
) -> None:
    """A bid just below a floor in one currency stays below it in any other."""
    floor = micros + 1
    bid_there = TABLE.convert(micros, source, target, round_up=False)
    floor_there = TABLE.convert(floor, source, target, round_up=True)
    assert bid_there < floor_there or bid_there == floor_there == 0


@given(st.decimals(min_value=0, max_value=100_000, places=6, allow_nan=False))
def test_wire_price_round_trip(amount: Decimal) -> None:
    micros = decimal_to_micros(amount)
    assert price_to_micros(micros_to_price(micros)) == micros
    assert Decimal(micros) / 1_000_000 == amount
