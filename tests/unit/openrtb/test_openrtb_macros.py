"""Substitution macros: every spec macro, unknown ones left alone, URL encoding, one pass."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openbid.openrtb import macros
from openbid.openrtb.macros import (
    ALL_MACROS,
    AUCTION_CURRENCY,
    AUCTION_ID,
    AUCTION_LOSS,
    AUCTION_PRICE,
    substitute,
)

SPEC_NAMES = [
    "AUCTION_ID",
    "AUCTION_BID_ID",
    "AUCTION_IMP_ID",
    "AUCTION_SEAT_ID",
    "AUCTION_AD_ID",
    "AUCTION_PRICE",
    "AUCTION_CURRENCY",
    "AUCTION_MBR",
    "AUCTION_LOSS",
    "AUCTION_MIN_TO_WIN",
    "AUCTION_MULTIPLIER",
    "AUCTION_IMP_TS",
]


def test_every_spec_macro_has_a_constant() -> None:
    assert [m[2:-1] for m in ALL_MACROS] == SPEC_NAMES
    for name in SPEC_NAMES:
        assert getattr(macros, name) == "${" + name + "}"


def test_all_macros_substituted() -> None:
    template = "https://win.example/?" + "&".join(f"{m[2:-1].lower()}={m}" for m in ALL_MACROS)
    values = {m: f"v{i}" for i, m in enumerate(ALL_MACROS)}
    out = substitute(template, values)
    assert "${" not in out
    for i, macro in enumerate(ALL_MACROS):
        assert f"{macro[2:-1].lower()}=v{i}" in out


def test_keys_may_be_bare_names() -> None:
    assert substitute("p=${AUCTION_PRICE}", {"AUCTION_PRICE": "1.5"}) == "p=1.5"
    assert substitute("p=${AUCTION_PRICE}", {AUCTION_PRICE: "2"}) == "p=2"


def test_unknown_and_unvalued_macros_left_alone() -> None:
    template = "a=${AUCTION_ID}&b=${CLICK_URL}&c=${AUCTION_LOSS}&d=${}&e=$AUCTION_ID&f={X}"
    out = substitute(template, {AUCTION_ID: "r1"})
    assert out == "a=r1&b=${CLICK_URL}&c=${AUCTION_LOSS}&d=${}&e=$AUCTION_ID&f={X}"


def test_repeated_macro() -> None:
    assert substitute("${AUCTION_ID}/${AUCTION_ID}", {AUCTION_ID: "x"}) == "x/x"


def test_no_double_substitution() -> None:
    values = {AUCTION_ID: "${AUCTION_PRICE}", AUCTION_PRICE: "${AUCTION_ID}"}
    assert substitute("${AUCTION_ID}|${AUCTION_PRICE}", values) == "${AUCTION_PRICE}|${AUCTION_ID}"


def test_url_encoding() -> None:
    values = {AUCTION_PRICE: "a/b+c=d&e f", AUCTION_CURRENCY: "USD", AUCTION_LOSS: "é"}
    out = substitute(
        "https://x/?p=${AUCTION_PRICE}&c=${AUCTION_CURRENCY}&l=${AUCTION_LOSS}",
        values,
        url_encode=True,
    )
    assert out == "https://x/?p=a%2Fb%2Bc%3Dd%26e%20f&c=USD&l=%C3%A9"
    # the template itself is never encoded
    assert substitute("a b ${AUCTION_PRICE}", {AUCTION_PRICE: "1"}, url_encode=True) == "a b 1"


def test_no_macros_returns_template() -> None:
    template = "https://x/win?p=1"
    assert substitute(template, {AUCTION_PRICE: "1"}) is template


@pytest.mark.parametrize("value", ["", "0", "${", "}", "$", "\\1", "\\g<0>"])
def test_awkward_values_inserted_literally(value: str) -> None:
    assert substitute("[${AUCTION_ID}]", {AUCTION_ID: value}) == f"[{value}]"


names = st.sampled_from(SPEC_NAMES)
plain = st.text(alphabet=st.characters(blacklist_characters="${}"), max_size=8)


@given(
    parts=st.lists(st.one_of(plain, names.map(lambda n: "${" + n + "}")), max_size=8),
    values=st.dictionaries(names.map(lambda n: "${" + n + "}"), st.text(max_size=8)),
)
def test_substitution_matches_a_reference(parts: list[str], values: dict[str, str]) -> None:
    template = "".join(parts)
    expected = "".join(values.get(part, part) for part in parts)
    assert substitute(template, values) == expected
    assert re.sub(r"\$\{[A-Z_]+\}", "", substitute(template, {})) == re.sub(
        r"\$\{[A-Z_]+\}", "", template
    )
