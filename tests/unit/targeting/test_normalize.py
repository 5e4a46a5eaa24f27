"""Normalising request domains: any text an exchange sends gives a host or nothing, not an error."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openbid.targeting.normalize import normalize_domain, site_domains


@pytest.mark.parametrize(
    ("raw", "host"),
    [
        ("WWW.Example.COM.", "example.com"),
        ("https://news.example.com:8443/a/b?c", "news.example.com"),
        ("example.com/path", "example.com"),
        ("shop.example.com:80", "shop.example.com"),
        ("wac OS X 10_6_8) AppleWebK[it/537.13", ""),  # an unbalanced "[" found by atheris
        ("http://[::1/", ""),
    ],
)
def test_normalize_domain(raw: str, host: str) -> None:
    assert normalize_domain(raw) == host


@given(st.text(max_size=200))
def test_any_text_normalises_without_error(raw: str) -> None:
    assert isinstance(site_domains(raw), tuple)
