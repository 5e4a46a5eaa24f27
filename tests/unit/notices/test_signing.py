"""Notice URLs carry an HMAC signature that verifies only for the same kind and fields."""

from urllib.parse import parse_qsl, urlsplit

import pytest

from openbid.notices.signing import SigningKeys
from openbid.notices.urls import BILLING, LOSS, SIGNED_FIELDS, WIN, NoticeUrls, signed_query
from openbid.notices.urls import signing_message as message

KEYS = SigningKeys.parse("k2:new-secret-0123456789,k1:old-secret-0123456789")


def _query() -> str:
    return signed_query("auction 1/&x", "bid1", "imp=1", "li-a", "cr-a", 1_500_000, "USD", 1, "k2")


def test_sign_and_verify() -> None:
    signature = KEYS.sign(b"hello")
    assert KEYS.verify("k2", b"hello", signature)
    assert not KEYS.verify("k2", b"hellO", signature)
    assert not KEYS.verify("k1", b"hello", signature)
    assert not KEYS.verify("k9", b"hello", signature)


def test_rotation_overlap() -> None:
    old = SigningKeys.parse("k1:old-secret-0123456789")
    rotated = SigningKeys.parse("k2:new-secret-0123456789,k1:old-secret-0123456789")
    assert rotated.active_id == "k2"
    assert rotated.verify("k1", b"m", old.sign(b"m"))


@pytest.mark.parametrize(
    "spec", ["", "nokey", ":secret-0123456789", "k:", "k:short", "a:0123456789abcdef,b"]
)
def test_bad_key_specs(spec: str) -> None:
    with pytest.raises(ValueError, match="signing keys"):
        SigningKeys.parse(spec)


def test_notice_urls_verify_per_kind() -> None:
    nurl, burl, lurl = NoticeUrls("https://bid.example/", KEYS).urls(_query())
    for url, kind in ((nurl, WIN), (burl, BILLING), (lurl, LOSS)):
        parts = urlsplit(url)
        assert parts.path == f"/notice/{kind}"
        params = dict(parse_qsl(parts.query))
        assert params["p"] == "${AUCTION_PRICE}"
        assert params["a"] == "auction 1/&x"
        assert params["i"] == "imp=1"
        a, b, i, li, c = (params[name] for name in SIGNED_FIELDS[:5])
        rebuilt = signed_query(a, b, i, li, c, int(params["bp"]), params["cur"], int(params["t"]),
                               params["k"])  # fmt: skip
        assert KEYS.verify(params["k"], message(kind, rebuilt), params["s"])
        other = BILLING if kind != BILLING else WIN
        assert not KEYS.verify(params["k"], message(other, rebuilt), params["s"])
    assert dict(parse_qsl(urlsplit(lurl).query))["r"] == "${AUCTION_LOSS}"


def test_a_changed_price_breaks_the_signature() -> None:
    nurl, _, _ = NoticeUrls("https://bid.example", KEYS).urls(_query())
    params = dict(parse_qsl(urlsplit(nurl).query))
    forged = signed_query(
        "auction 1/&x", "bid1", "imp=1", "li-a", "cr-a", 9_500_000, "USD", 1, "k2"
    )
    assert not KEYS.verify("k2", message(WIN, forged), params["s"])
