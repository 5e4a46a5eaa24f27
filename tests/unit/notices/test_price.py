"""Clear-text ${AUCTION_PRICE} values: decimal CPMs become micros; anything else is refused."""

import pytest

from openbid.notices.price import clear_price_micros


@pytest.mark.parametrize(
    ("text", "micros"),
    [("1.25", 1_250_000), ("0", 0), ("3", 3_000_000), ("0.0000015", 2), ("12.000001", 12_000_001)],
)
def test_prices(text: str, micros: int) -> None:
    assert clear_price_micros(text) == micros


@pytest.mark.parametrize(
    "text",
    [None, "", "-1", "NaN", "Infinity", "1e9", "abc", "${AUCTION_PRICE}", "1,25", "9" * 40],
)
def test_malformed_prices(text: str | None) -> None:
    assert clear_price_micros(text) is None
