"""Win, billing and loss notices over HTTP against two running ``openbid serve`` processes that
share Redis: forged and tampered URLs are refused (403) and never spend, a replayed billing notice
spends once (on either instance), malformed prices are 400, and an exchange that encrypts
``${AUCTION_PRICE}`` (Google's scheme) is read with its keys, down to the published test vector."""

import http.client
import json
import re
from collections.abc import Iterator
from urllib.parse import quote, urlsplit

import pytest
from pacing_harness import (
    SHARED_REDIS_URL,
    Fleet,
    catalog,
    read_int,
    redis_keys,
    wait_until,
    write_json,
)

from openbid.exchange.bidder_process import BidderProcess
from openbid.notices.encrypted_price import PriceCrypto
from openbid.openrtb.macros import AUCTION_LOSS, AUCTION_PRICE

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

# The sample keys and a ciphertext of Google's "Decrypt price confirmations" guide (1,900 micros).
ENCRYPTION_KEY = "skU7Ax_NL5pPAFyKdkfZjZz2-VhIN8bjj1rVFOaJ_5o="
INTEGRITY_KEY = "arO23ykdNqUQ5LEoQ0FVmPkBd7xB5CO89PDZlSjpFxo="
PUBLISHED_CIPHERTEXT = "YWJjMTIzZGVmNDU2Z2hpN7fhCuPemCAWJRxOgA"
CRYPTO = PriceCrypto.from_text(ENCRYPTION_KEY, INTEGRITY_KEY)
SETTLE_SECONDS = 0.5  # time for a notice that should not spend to have spent, if it did


class Pair:
    """Two bidders on one Redis prefix, and the line item's total spend there."""

    def __init__(self, fleet: Fleet, prefix: str) -> None:
        self.first, self.second = fleet.bidders
        self.spent_key = f"{prefix}:s:l:li-notice:t"
        self._bids = 0

    def spent(self) -> int:
        """Micros the line item has spent, all instances."""
        return read_int(SHARED_REDIS_URL, self.spent_key)

    def bid(self, exchange: str = "") -> dict[str, str]:
        """A fresh bid from the first bidder: its nurl, burl and lurl."""
        self._bids += 1
        request = {
            "id": f"auction-{self._bids}",
            "at": 1,
            "imp": [{"id": "1", "banner": {"w": 300, "h": 250}}],
            "site": {"id": "s1", "domain": "news.example"},
            "user": {"id": f"user-{self._bids}"},
        }
        path = "/openrtb2/bid" + (f"/{exchange}" if exchange else "")
        answers: list[tuple[int, bytes]] = []

        def answered() -> bool:  # no bid until the first lease is granted, after startup
            answers.append(_call(self.first, "POST", path, json.dumps(request).encode()))
            return answers[-1][0] != 204

        wait_until(answered, 10)
        status, body = answers[-1]
        assert status == 200, body
        bid = json.loads(body)["seatbid"][0]["bid"][0]
        return {"win": bid["nurl"], "bill": bid["burl"], "loss": bid["lurl"]}

    def settles_at(self, micros: int) -> None:
        """Spend reaches ``micros`` and stays there."""
        assert wait_until(lambda: self.spent() >= micros, 5), self.spent()
        wait_until(lambda: self.spent() > micros, SETTLE_SECONDS)
        assert self.spent() == micros


def _call(process: BidderProcess, method: str, target: str, body: bytes = b"") -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", process.port, timeout=5)
    try:
        conn.request(method, target, body=body or None)
        answer = conn.getresponse()
        return answer.status, answer.read()
    finally:
        conn.close()


def _notice(process: BidderProcess, url: str, price: str | None = None) -> int:
    """GET a notice URL on ``process`` with the macros filled (``price`` None leaves
    ``${AUCTION_PRICE}`` as it is); the status."""
    if price is not None:
        url = url.replace(AUCTION_PRICE, quote(price, safe=""))
    url = url.replace(AUCTION_LOSS, "102")
    parts = urlsplit(url)
    status, _ = _call(process, "GET", f"{parts.path}?{parts.query}")
    return status


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    """Two bidders with one budgeted line item, the default exchange billing on burl and `adx`
    sending Google-encrypted prices."""
    work = tmp_path_factory.mktemp("notices")
    (work / "encryption.key").write_text(ENCRYPTION_KEY)
    (work / "integrity.key").write_text(INTEGRITY_KEY)
    exchanges = work / "exchanges.yaml"
    exchanges.write_text(
        "adx:\n  price_encryption:\n"
        f"    encryption_key: {{file: {work / 'encryption.key'}}}\n"
        f"    integrity_key: {{file: {work / 'integrity.key'}}}\n"
    )
    catalog_path = write_json(
        work / "catalog.json",
        catalog(
            [{"id": "cmp-notice", "budget": {"total": "100"}}],
            [
                {
                    "id": "li-notice",
                    "campaign_id": "cmp-notice",
                    "bid": {"strategy": "fixed_cpm", "cpm": "4"},
                }
            ],
        ),
    )
    extra = ["--exchanges-config", str(exchanges)]
    with redis_keys() as prefix, Fleet(2, catalog_path, SHARED_REDIS_URL, prefix, work, extra) as f:
        yield Pair(f, prefix)


def test_a_billing_notice_spends_once_on_any_instance(pair: Pair) -> None:
    start = pair.spent()
    urls = pair.bid()
    assert _notice(pair.first, urls["win"], "2.5") == 204  # billing is on burl: no spend
    assert _notice(pair.first, urls["bill"], "2.5") == 204
    pair.settles_at(start + 2500)  # a 2.50 CPM: 2,500 micros for the impression
    for process in (pair.first, pair.first, pair.second):  # the exchange retries, anywhere
        assert _notice(process, urls["bill"], "2.5") == 204
    pair.settles_at(start + 2500)


def test_forged_and_tampered_notices_are_403_and_never_spend(pair: Pair) -> None:
    start = pair.spent()
    urls = pair.bid()
    bill = urls["bill"]
    forged = re.sub(r"&s=[0-9a-f]+", "&s=" + "0" * 20, bill)
    tampered = bill.replace("bp=4000000", "bp=9000000")
    assert tampered != bill
    other_kind = urls["win"].replace("/notice/win?", "/notice/bill?")  # the win's signature
    unknown_key = bill.replace("&k=e2e&", "&k=old&")
    assert unknown_key != bill
    for url in (forged, tampered, other_kind, unknown_key):
        assert _notice(pair.first, url, "2.5") == 403, url
    assert _notice(pair.first, bill.replace("&s=", "&t=1&s="), "2.5") == 400  # not our shape
    assert _notice(pair.first, bill, "2.5") == 204  # the genuine notice still counts
    pair.settles_at(start + 2500)


def test_malformed_prices_are_400_and_the_good_one_still_counts(pair: Pair) -> None:
    start = pair.spent()
    urls = pair.bid()
    for price in ("abc", "", "-1", "1e999", "NaN", "2,5", "0x10"):
        assert _notice(pair.first, urls["bill"], price) == 400, price
    assert _notice(pair.first, urls["bill"]) == 400  # ${AUCTION_PRICE} never substituted
    assert _notice(pair.first, urls["bill"], "9.99") == 204  # above the bid: spends the bid
    pair.settles_at(start + 4000)


def test_encrypted_prices_are_read_with_the_exchange_keys(pair: Pair) -> None:
    start = pair.spent()
    published = pair.bid("adx")
    assert _notice(pair.first, published["bill"], PUBLISHED_CIPHERTEXT) == 204
    pair.settles_at(start + 2)  # 1,900 micros CPM: 1.9 micros for the impression, rounded up
    urls = pair.bid("adx")
    ciphertext = CRYPTO.encrypt(2_750_000, bytes(range(16)))
    flipped = ciphertext[:-2] + ("A" if ciphertext[-2] != "A" else "B") + ciphertext[-1]
    for price in (flipped, "2.75", ciphertext[:20]):
        assert _notice(pair.first, urls["bill"], price) == 400, price
    assert _notice(pair.second, urls["bill"], ciphertext) == 204
    assert _notice(pair.first, urls["bill"], ciphertext) == 204  # a replay
    pair.settles_at(start + 2 + 2750)
    clear = pair.bid()
    assert _notice(pair.first, clear["bill"], ciphertext) == 400  # the default exchange: clear


def test_a_loss_notice_spends_nothing(pair: Pair) -> None:
    start = pair.spent()
    urls = pair.bid()
    assert _notice(pair.first, urls["loss"], "") == 204
    assert _notice(pair.first, urls["loss"], "") == 204
    pair.settles_at(start)
