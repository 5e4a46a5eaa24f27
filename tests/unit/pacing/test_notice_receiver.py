"""Notices end to end on one process: forged, tampered, replayed, malformed and encrypted-price
notices, billing on burl or nurl, markup served on win, click redirects and impression pixels."""

from urllib.parse import parse_qsl, urlsplit, urlunsplit

import pytest
from pacing_fixtures import BASE, KEYS, Harness, catalog, request

from openbid.exchange.markup import find_trackers
from openbid.notices.encrypted_price import PriceCrypto
from openbid.notices.exchanges import BillOn, ExchangeOptions
from openbid.notices.receiver import PIXEL
from openbid.notices.signing import SigningKeys
from openbid.notices.urls import signed_query


def _spent(harness: Harness) -> int:
    harness.sync()
    return harness.ledger.spent.get("l:li:t", 0)


def _with(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    params = dict(parse_qsl(parts.query, keep_blank_values=True))
    params.update(changes)
    query = "&".join(f"{name}={value}" for name, value in params.items())
    return urlunsplit(parts._replace(query=query))


@pytest.fixture
def harness() -> Harness:
    paced = Harness(catalog({"budget": {"total": 100}}))
    paced.sync()
    return paced


def test_billing_notice_spends_the_clearing_price_once(harness: Harness) -> None:
    bid = harness.bid()
    assert bid is not None
    assert bid.burl is not None
    assert harness.call(bid.burl, price="1.5").status == 204
    assert harness.call(bid.burl, price="1.5").status == 204  # the exchange retries
    assert _spent(harness) == 1500  # 1.50 CPM is 1,500 micros for one impression
    assert harness.receiver.counts["bill", "billed"] == 1
    assert harness.receiver.counts["bill", "duplicate"] == 1


def test_a_clearing_price_above_the_bid_spends_only_the_bid(harness: Harness) -> None:
    bid = harness.bid()
    assert bid is not None
    assert bid.burl is not None
    harness.call(bid.burl, price="9.0")
    assert _spent(harness) == 2000


def test_forged_and_tampered_notices_are_refused_and_never_spent(harness: Harness) -> None:
    bid = harness.bid()
    assert bid is not None
    assert bid.burl is not None
    assert harness.call(_with(bid.burl, bp="99000000")).status == 403  # tampered field
    assert harness.call(_with(bid.burl, s="0" * 20)).status == 403  # forged tag
    assert harness.call(bid.burl.replace("/notice/bill", "/notice/win")).status == 403
    other_keys = SigningKeys({"k1": b"x" * 32}, "k1")
    query = urlsplit(bid.burl).query.split("&s=")[0]
    digest = other_keys.digest(query.encode()) or b""
    forged = f"{BASE}/notice/bill?{query}&s={digest[10:20].hex()}&p=2.0"
    assert harness.call(forged).status == 403
    assert harness.receiver.counts["bill", "bad signature"] == 3
    assert harness.receiver.counts["win", "bad signature"] == 1
    assert _spent(harness) == 0


@pytest.mark.parametrize("price", ["", "abc", "-1", "${AUCTION_PRICE}", "1e400"])
def test_malformed_prices_are_refused(harness: Harness, price: str) -> None:
    bid = harness.bid()
    assert bid is not None
    assert bid.burl is not None
    assert harness.call(bid.burl, price=price).status == 400
    assert harness.receiver.counts["bill", "bad price"] == 1
    assert _spent(harness) == 0


@pytest.mark.parametrize("query", ["", "a=1", "a=1&s=ff", "x" * 5000])
def test_malformed_queries(harness: Harness, query: str) -> None:
    assert harness.receiver.receive("bill", query).status == 400


def test_old_notices_are_gone(harness: Harness) -> None:
    old = signed_query("a", "b1", "1", "li", "cr-inline", 2_000_000, "USD", 1, "k1", "default", "")
    digest = KEYS.digest(old.encode()) or b""
    url = f"{BASE}/notice/bill?{old}&s={digest[10:20].hex()}&p=1"
    assert harness.call(url).status == 410
    assert _spent(harness) == 0


def test_encrypted_prices_for_an_exchange_that_encrypts() -> None:
    crypto = PriceCrypto(b"e" * 32, b"i" * 32)
    harness = Harness(
        catalog({"budget": {"total": 100}}),
        {"adx": ExchangeOptions(crypto=crypto)},
    )
    harness.sync()
    bid = harness.bid(exchange="adx")
    assert bid is not None
    assert bid.burl is not None
    assert harness.call(bid.burl, price="1.5").status == 400  # clear text is not accepted
    assert harness.call(bid.burl, price=crypto.encrypt(1_250_000, b"v" * 16)).status == 204
    assert _spent(harness) == 1250


def test_an_exchange_that_bills_on_the_win_notice() -> None:
    harness = Harness(
        catalog({"budget": {"total": 100}}), {"adx": ExchangeOptions(bill_on=BillOn.NURL)}
    )
    harness.sync()
    bid = harness.bid(exchange="adx")
    assert bid is not None
    assert bid.nurl is not None
    assert bid.burl is not None
    harness.call(bid.burl, price="1.0")
    assert _spent(harness) == 0
    harness.call(bid.nurl, price="1.0")
    assert _spent(harness) == 1000


def test_loss_releases_what_the_bid_held(harness: Harness) -> None:
    bid = harness.bid()
    assert bid is not None
    assert bid.lurl is not None
    harness.sync()
    held = harness.ledger.held["l:li"]
    assert harness.call(bid.lurl, price="").status == 204
    harness.sync()
    assert harness.ledger.held["l:li"] == held - 2000


def test_serve_on_win_markup_comes_with_trackers(harness: Harness) -> None:
    bid = harness.bid(request(size=(728, 90)))
    assert bid is not None
    assert bid.adm is None
    assert bid.nurl is not None
    answer = harness.call(bid.nurl)
    assert answer.status == 200
    trackers = find_trackers(answer.body.decode())
    assert [urlsplit(url).path for url in trackers.impressions] == ["/notice/imp"]
    assert [urlsplit(url).path for url in trackers.clicks] == ["/notice/click"]
    impression = harness.call(trackers.impressions[0].replace("&amp;", "&"))
    assert (impression.status, impression.body) == (200, PIXEL)
    click = harness.call(trackers.clicks[0].replace("&amp;", "&"))
    assert (click.status, click.location) == (302, "https://a.example/win")


def test_inline_markup_trackers_verify(harness: Harness) -> None:
    bid = harness.bid()
    assert bid is not None
    assert bid.adm is not None
    trackers = find_trackers(bid.adm)
    click_url = trackers.clicks[0]
    assert harness.call(click_url).location == "https://a.example/go"
    assert harness.call(_with(click_url, u="0" * 16)).status == 403  # user key is signed
    imp = next(url for url in trackers.impressions if "/notice/imp" in url)
    assert harness.call(imp).status == 200
