"""Notice URLs get their OpenRTB macros substituted; markup trackers are found where they live."""

from urllib.parse import parse_qs, urlsplit

from openbid.exchange.auction import BidOutcome
from openbid.exchange.markup import find_trackers
from openbid.exchange.notices import format_price, macro_values, notice_url, outcome_name
from openbid.openrtb.model import Bid, BidRequest, BidResponse, Imp
from openbid.openrtb.nobid import LossReason

NURL = (
    "http://127.0.0.1:9/notice/win?a=${AUCTION_ID}&b=${AUCTION_BID_ID}&i=${AUCTION_IMP_ID}"
    "&seat=${AUCTION_SEAT_ID}&ad=${AUCTION_AD_ID}&p=${AUCTION_PRICE}&cur=${AUCTION_CURRENCY}"
    "&mbr=${AUCTION_MBR}&min=${AUCTION_MIN_TO_WIN}&ts=${AUCTION_IMP_TS}&x=${NOT_A_MACRO}"
)
LURL = "http://127.0.0.1:9/notice/loss?p=${AUCTION_PRICE}&r=${AUCTION_LOSS}"


def _outcome(won: bool, seat: str = "Agency1") -> BidOutcome:
    bid = Bid(id="bid-7", impid="imp 1", price=2.5, adid="cr-x", nurl=NURL, lurl=LURL)
    if won:
        return BidOutcome(seat, bid, True, LossReason.BID_WON, 1.25, 1.24, [])
    return BidOutcome(seat, bid, False, LossReason.LOST_TO_HIGHER_BID, 3.1, 3.3, [])


def _query(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


REQUEST = BidRequest(id="req&1", imp=[Imp(id="imp 1")])
RESPONSE = BidResponse(id="req&1", cur="EUR")


def test_win_notice_macros_are_substituted_and_encoded() -> None:
    values = macro_values(REQUEST, RESPONSE, _outcome(won=True), now_ms=1_700_000_000_000)
    url = notice_url(NURL, values)
    assert "${AUCTION" not in url
    assert "x=${NOT_A_MACRO}" in url  # unknown macros are left alone
    query = _query(url)
    assert query == {
        "a": "req&1",  # percent-encoded in the URL, so the query still parses
        "b": "bid-7",  # no response bidid: the bid's id
        "i": "imp 1",
        "seat": "Agency1",
        "ad": "cr-x",
        "p": "1.25",  # the clearing price, not the bid price
        "cur": "EUR",
        "mbr": "0.5",
        "min": "1.24",
        "ts": "1700000000000",
        "x": "${NOT_A_MACRO}",
    }
    assert "a=req%261" in url


def test_loss_notice_carries_the_loss_reason_and_the_winning_price() -> None:
    values = macro_values(REQUEST, RESPONSE, _outcome(won=False), now_ms=0)
    assert _query(notice_url(LURL, values)) == {"p": "3.1", "r": "102"}


def test_response_bidid_is_the_bid_id_macro() -> None:
    response = BidResponse(id="req&1", bidid="resp-9")
    values = macro_values(REQUEST, response, _outcome(won=True), now_ms=0)
    assert values["${AUCTION_BID_ID}"] == "resp-9"
    assert values["${AUCTION_CURRENCY}"] == "USD"


def test_prices_are_plain_decimals() -> None:
    assert format_price(1.8) == "1.8"
    assert format_price(0.0) == "0"
    assert format_price(1_500_000.0) == "1500000"
    assert format_price(1.23456789) == "1.234568"
    assert format_price(None) == ""


def test_outcome_names() -> None:
    assert outcome_name(404) == "404"
    assert outcome_name(1) == "connect"
    assert outcome_name(3) == "timeout"


def test_vast_trackers() -> None:
    vast = (
        "<VAST version='4.0'><Ad><InLine><Impression><![CDATA[ http://t.example/imp?p=1 ]]>"
        "</Impression><Impression/><Creatives><Creative><Linear><VideoClicks>"
        "<ClickThrough>https://landing.example/</ClickThrough>"
        "<ClickTracking>http://t.example/click</ClickTracking></VideoClicks></Linear></Creative>"
        "</Creatives></InLine></Ad></VAST>"
    )
    trackers = find_trackers(vast)
    assert trackers.impressions == ["http://t.example/imp?p=1"]
    assert trackers.clicks == ["http://t.example/click"]


def test_native_trackers() -> None:
    native = (
        '{"native":{"imptrackers":["http://t.example/i1"],'
        '"eventtrackers":[{"event":1,"method":1,"url":"http://t.example/i2"},'
        '{"event":1,"method":2,"url":"http://t.example/script.js"}],'
        '"link":{"url":"https://landing.example/","clicktrackers":["http://t.example/c1"]},'
        '"assets":[{"id":1,"link":{"clicktrackers":["http://t.example/c2"]}}]}}'
    )
    trackers = find_trackers(native)
    assert trackers.impressions == ["http://t.example/i1", "http://t.example/i2"]
    assert trackers.clicks == ["http://t.example/c1", "http://t.example/c2"]


def test_html_trackers() -> None:
    html = (
        '<a href="http://t.example/click?u=x"><img src="http://cdn.example/ad.jpg"></a>'
        '<img src="http://t.example/pixel" width="1" height="1">'
    )
    trackers = find_trackers(html)
    assert trackers.impressions == ["http://cdn.example/ad.jpg", "http://t.example/pixel"]
    assert trackers.clicks == ["http://t.example/click?u=x"]


def test_unparseable_markup_has_no_trackers() -> None:
    assert find_trackers("<VAST><Ad>") == ([], [])
    assert find_trackers("{not json") == ([], [])
    assert find_trackers('{"native": []}') == ([], [])
