"""Notice URLs carry HMAC tags that verify only for the same kind, fields and listed key."""

from urllib.parse import parse_qsl, urlsplit

import pytest

from openbid.notices.signing import SigningKeys
from openbid.notices.urls import (
    BILLING,
    CLICK,
    IMPRESSION,
    KINDS,
    SIGNED_FIELDS,
    WIN,
    BidUrls,
    NoticeUrls,
    signed_query,
    verify_notice,
)

KEYS = SigningKeys.parse("k2:new-secret-0123456789,k1:old-secret-0123456789")


def _query(price: int = 1_500_000, key_id: str = "k2", user: str = "00ff00ff00ff00ff") -> str:
    return signed_query(
        "auction 1/&x", "bid1", "imp=1", "li-a", "cr-a", price, "USD", 1, key_id, "adx", user
    )


def _params(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


def _rebuilt(params: dict[str, str]) -> str:
    a, b, i, li, c = (params[name] for name in SIGNED_FIELDS[:5])
    return signed_query(
        a, b, i, li, c, int(params["bp"]), params["cur"], int(params["t"]), params["k"],
        params["x"], params["u"],
    )  # fmt: skip


def _all(urls: BidUrls) -> tuple[str, ...]:
    return (urls.win, urls.billing, urls.loss, urls.impression, urls.click)


def test_digest_per_key() -> None:
    assert KEYS.digest(b"m") == KEYS.digest(b"m", "k2")
    assert KEYS.digest(b"m", "k1") != KEYS.digest(b"m", "k2")
    assert KEYS.digest(b"m", "k9") is None
    assert KEYS.digest(b"m") != KEYS.digest(b"M")


@pytest.mark.parametrize(
    "spec", ["", "nokey", ":secret-0123456789", "k:", "k:short", "a:0123456789abcdef,b"]
)
def test_bad_key_specs(spec: str) -> None:
    with pytest.raises(ValueError, match="signing keys"):
        SigningKeys.parse(spec)


def test_notice_urls_verify_for_their_own_kind_only() -> None:
    urls = _all(NoticeUrls("https://bid.example/", KEYS).urls(_query(), trackers=True))
    for url, kind in zip(urls, KINDS, strict=True):
        parts = urlsplit(url)
        assert parts.path == f"/notice/{kind}"
        params = _params(url)
        assert (params["a"], params["i"], params["x"], params["u"]) == (
            "auction 1/&x",
            "imp=1",
            "adx",
            "00ff00ff00ff00ff",
        )
        assert params.get("p") == (None if kind in (IMPRESSION, CLICK) else "${AUCTION_PRICE}")
        query = _rebuilt(params)
        assert query == _query()
        assert verify_notice(KEYS, kind, query, params["k"], params["s"])
        for other in KINDS:
            if other != kind:
                assert not verify_notice(KEYS, other, query, params["k"], params["s"])
    assert _params(urls[2])["r"] == "${AUCTION_LOSS}"
    assert len({_params(url)["s"] for url in urls}) == len(KINDS)


def test_trackers_only_when_asked() -> None:
    urls = NoticeUrls("https://bid.example", KEYS).urls(_query())
    assert (urls.impression, urls.click) == ("", "")


def test_tampered_fields_or_unknown_keys_fail() -> None:
    nurl = NoticeUrls("https://bid.example", KEYS).urls(_query()).win
    tag = _params(nurl)["s"]
    assert not verify_notice(KEYS, WIN, _query(price=9_500_000), "k2", tag)
    assert not verify_notice(KEYS, WIN, _query(user="1111111111111111"), "k2", tag)
    assert not verify_notice(KEYS, WIN, _query(), "k9", tag)
    assert not verify_notice(KEYS, WIN, _query(), "k2", tag[:-1] + ("0" if tag[-1] != "0" else "1"))


def test_rotation_overlap() -> None:
    old = SigningKeys.parse("k1:old-secret-0123456789")
    issued = NoticeUrls("https://bid.example", old).urls(_query(key_id="k1"))
    params = _params(issued.billing)
    assert verify_notice(KEYS, BILLING, _rebuilt(params), params["k"], params["s"])
    retired = SigningKeys.parse("k3:newest-secret-0123456789")
    assert not verify_notice(retired, BILLING, _rebuilt(params), params["k"], params["s"])
