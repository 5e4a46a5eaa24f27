"""What the bid port and the notice endpoints record: metrics, events, the ring and the tap."""

import asyncio
import logging
import time
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit

import msgspec
import pytest

from openbid.admin.ring import RequestRing
from openbid.admin.tap import LiveTap
from openbid.bidder.config import BidderConfig
from openbid.bidder.figures import CATALOG_RELOAD, EVENT_WRITE, BidderFigures
from openbid.bidder.notice_observer import NoticeObserver
from openbid.bidder.observe import BID_FAILED, INVALID_REQUEST, BidObserver, audience_of
from openbid.bidder.pipeline import Bidder
from openbid.bidder.reload import CatalogReloader
from openbid.bidder.snapshot import compile_catalog
from openbid.catalog.load import load_catalog
from openbid.catalog.source import BuiltinSource
from openbid.events.build import EventBuilder, Origin
from openbid.events.log import EventLog
from openbid.events.schema import Deployment, Event, EventKind
from openbid.notices.receiver import NoticeReceiver
from openbid.notices.signing import SigningKeys
from openbid.openrtb import macros
from openbid.openrtb.codec import decode_response
from openbid.openrtb.model import Bid, BidRequest
from openbid.pacing.setup import PacingSettings, build_pacing
from openbid.server.app import BidApp
from openbid.server.http import HttpRequest
from openbid.telemetry.metrics import BidderMetrics

KEYS = SigningKeys({"t": b"k" * 32}, "t")
CONFIG = BidderConfig(notice_base_url="https://bidder.example", signing_keys=KEYS)
ORIGIN = Origin("9.9.9", Deployment.CANARY, "task-1")


class ListSink:
    """Keeps every batch in memory."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def write(self, events: Sequence[Event]) -> None:
        """Keep the batch."""
        self.events.extend(events)

    def tick(self) -> None:
        """Nothing to rotate."""

    def close(self, deadline: float) -> bool:
        """Nothing to finish."""
        return True


class Rig:
    """A paced bidder on the demo catalog, its receiver, and the observers under test."""

    def __init__(self, nobid_every: int = 1) -> None:
        self.pacing = build_pacing(PacingSettings())
        self.bidder = Bidder(
            CONFIG, compile_catalog(load_catalog(), CONFIG.seat), self.pacing.state
        )
        self.metrics = BidderMetrics()
        self.sink = ListSink()
        self.log = EventLog(self.sink, batch_window=0.01)
        builder = EventBuilder(ORIGIN)
        self.ring, self.tap = RequestRing(size=10), LiveTap()
        self.observer = BidObserver(
            self.metrics, self.log, builder, self.ring, self.tap, nobid_every
        )
        self.receiver = NoticeReceiver(
            KEYS,
            {},
            lambda: self.bidder.snapshot,
            lambda: CONFIG.notice_base_url,
            self.pacing.state,
            self.pacing.submit,
            3600.0,
            observer=NoticeObserver(self.metrics, self.log, builder),
        )
        self.app = BidApp(self.bidder, observer=self.observer)
        asyncio.run(self.pacing.tick())  # the first lease round: budgets let line items bid

    def post(self, body: dict[str, Any] | bytes, exchange: str = "default") -> int:
        """POST a bid request to the app; the status."""
        raw = body if isinstance(body, bytes) else msgspec.json.encode(body)
        request = HttpRequest("POST", "/openrtb2/bid", "", {}, raw, time.monotonic())
        response = self.app.bid(request, exchange)
        self.last = response.body
        return response.status

    def bids(self) -> list[Bid]:
        """The bids of the last 200 answer."""
        seatbids = decode_response(self.last).seatbid or []
        return list(seatbids[0].bid or []) if seatbids else []

    def notice(self, url: str, price: str = "0.3") -> int:
        """Call a notice URL with the exchange's macros filled in; the status."""
        filled = macros.substitute(
            url, {macros.AUCTION_PRICE: price, macros.AUCTION_LOSS: "102"}, url_encode=True
        )
        parts = urlsplit(filled)
        return self.receiver.receive(parts.path.rsplit("/", 1)[1], parts.query).status

    def events(self) -> list[Event]:
        """Every event emitted so far, written."""
        assert self.log.flush(5)
        return list(self.sink.events)


def bid_request(**fields: Any) -> dict[str, Any]:
    """Two banner impressions from a phone in the USA, with a user id."""
    return {
        "id": "auction-1",
        "imp": [
            {"id": "1", "banner": {"w": 160, "h": 600}},
            {"id": "2", "banner": {"w": 728, "h": 90}},
        ],
        "site": {"domain": "forum.example"},
        "device": {"devicetype": 2, "os": "Windows", "geo": {"country": "USA", "region": "NY"}},
        "user": {"id": "user-7"},
        **fields,
    }


@pytest.fixture
def rig() -> Iterator[Rig]:
    """A fresh rig, its event log closed afterwards."""
    made = Rig()
    yield made
    made.log.close(5)


def test_every_bid_is_one_bid_event_with_its_ids_price_and_audience(rig: Rig) -> None:
    assert rig.post(bid_request()) == 200
    bids = rig.bids()
    events = rig.events()
    assert len(bids) == 2
    assert [e.kind for e in events] == [EventKind.BID, EventKind.BID]
    for bid, event in zip(bids, events, strict=True):
        query = dict(part.split("=", 1) for part in urlsplit(bid.nurl or "").query.split("&"))
        assert event.bid_id == query["b"]
        assert event.auction_id == "auction-1"
        assert event.imp_id == bid.impid
        assert event.line_item == query["l"]
        assert event.creative == bid.crid
        assert event.campaign == bid.cid
        assert event.advertiser is not None
        assert event.bid_price_micros == round((bid.price or 0) * 1_000_000)
        assert event.currency == "USD"
        assert event.user_key == query["u"]  # the same hashed key as the notices
        assert (event.country, event.region, event.device_type, event.os) == (
            "USA",
            "NY",
            2,
            "Windows",
        )
        assert (event.bidder_version, event.deployment, event.task) == ("9.9.9", "canary", "task-1")
    assert rig.metrics.requests.values == {("default", 200): 1}
    assert rig.metrics.bids.values == {("default",): 2}
    assert rig.metrics.latency.count == 1


def test_no_bids_are_counted_by_reason_and_sampled(rig: Rig) -> None:
    observer = BidObserver(rig.metrics, rig.log, EventBuilder(ORIGIN), rig.ring, rig.tap, 3)
    rig.app.observer = observer
    floor = bid_request(imp=[{"id": "1", "banner": {"w": 160, "h": 600}, "bidfloor": 500}])
    for _ in range(7):
        assert rig.post(floor, "adx") == 204
    nobids = [e for e in rig.events() if e.kind is EventKind.NOBID]
    assert [(e.nobid_reason, e.sample_rate, e.exchange) for e in nobids] == [
        ("below_floor", 3, "adx"),
        ("below_floor", 3, "adx"),
    ]
    assert rig.metrics.no_bids.values == {("below_floor",): 7}
    assert rig.metrics.requests.values == {("adx", 204): 7}


def test_a_missed_deadline_is_counted(rig: Rig) -> None:
    request = HttpRequest("POST", "/", "", {}, msgspec.json.encode(bid_request(tmax=20)), 0.0)
    assert rig.app.bid(request).status == 204
    assert rig.metrics.deadline_misses.values == {(): 1}
    assert rig.metrics.no_bids.values == {("deadline",): 1}


def test_invalid_and_failing_requests_are_errors_by_kind(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert rig.post(b"{not json") == 400
    assert rig.events() == []

    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(rig.bidder, "bid", explode)
    with pytest.raises(RuntimeError):
        rig.post(bid_request())
    assert rig.metrics.errors.values == {(INVALID_REQUEST,): 1, (BID_FAILED,): 1}
    assert rig.metrics.requests.values == {("default", 400): 1, ("default", 500): 1}


def test_the_ring_keeps_requests_and_an_armed_tap_captures_answers(rig: Rig) -> None:
    body = bid_request()
    assert rig.post(body) == 200
    assert [r.body for r in rig.ring.latest(10)] == [msgspec.json.encode(body)]

    async def capture() -> list[tuple[int, bytes]]:
        capturing = asyncio.create_task(rig.tap.capture(2, 5))
        await asyncio.sleep(0)  # armed now
        assert rig.post(body) == 200
        answer = rig.last
        assert rig.post(b"[]") == 400
        return [(c.status, c.response) for c in await capturing] + [(0, answer)]

    (first, answer), (second, error), (_, sent) = asyncio.run(capture())
    assert (first, answer) == (200, sent)
    assert second == 400
    assert b"invalid bid request" in error


def test_notices_become_events_and_refusals_rejected_notices(rig: Rig) -> None:
    assert rig.post(bid_request(imp=[{"id": "1", "banner": {"w": 160, "h": 600}}])) == 200
    [bid] = rig.bids()
    assert bid.burl
    assert bid.nurl
    assert bid.lurl
    assert rig.notice(bid.nurl) in (200, 204)
    assert rig.notice(bid.burl, price="99") == 204  # above the bid: charged the bid
    assert rig.notice(bid.burl) == 204  # again: a duplicate
    assert rig.notice(bid.lurl) == 204
    forged = bid.burl.replace("&s=", "&s=00")
    assert rig.notice(forged) == 403
    events = rig.events()
    kinds = [e.kind for e in events]
    assert kinds == ["bid", "win", "bill", "rejected_notice", "loss", "rejected_notice"]
    bid_event, win, bill, duplicate, loss, bad = events
    assert win.bid_id == bill.bid_id == loss.bid_id == bid_event.bid_id
    assert win.clearing_price_micros == 300_000
    assert bill.clearing_price_micros == bid_event.bid_price_micros  # never above the bid
    assert loss.loss_reason == 102
    assert (duplicate.notice_kind, duplicate.rejected_reason) == ("bill", "duplicate")
    assert duplicate.bid_id == bid_event.bid_id
    assert (bad.notice_kind, bad.rejected_reason, bad.bid_id) == ("bill", "bad_signature", None)
    notices = rig.metrics.notices.values
    assert notices[("bill", "billed")] == 1
    assert notices[("bill", "duplicate")] == 1
    assert notices[("bill", "bad_signature")] == 1
    assert rig.metrics.spend.values == {("USD",): -(-(bid_event.bid_price_micros or 0) // 1000)}


def test_audience_without_a_device_is_the_user_alone() -> None:
    request = msgspec.convert({"id": "a", "imp": [{"id": "1"}]}, BidRequest)
    assert audience_of(request, "ab12").user_key == "ab12"
    assert audience_of(request, None).country is None


def test_figures_copy_queue_reloads_and_the_catalog_in_service(rig: Rig) -> None:
    reloader = CatalogReloader(BuiltinSource(), rig.bidder, CONFIG.seat)
    figures = BidderFigures(rig.metrics, rig.bidder, reloader, rig.pacing, rig.log)
    reloader.reloads, reloader.failures = 2, 1
    figures.refresh()
    reloader.reloads = 3
    figures.refresh()
    snapshot = rig.bidder.snapshot
    assert snapshot is not None
    assert rig.metrics.catalog_info.values == {(snapshot.version,): 1}
    assert rig.metrics.catalog_reloads.values == {("ok",): 3, ("failed",): 1}
    assert rig.metrics.errors.values.get((CATALOG_RELOAD,)) == 1
    assert rig.metrics.errors.values.get((EVENT_WRITE,)) is None
    assert rig.metrics.event_queue_depth.values == {(): 0}
    assert rig.metrics.event_drops.values == {}


def test_figures_count_events_dropped_by_a_full_queue(rig: Rig) -> None:
    full = EventLog(ListSink(), batch_window=30, capacity=1)
    reloader = CatalogReloader(BuiltinSource(), rig.bidder, CONFIG.seat)
    figures = BidderFigures(rig.metrics, rig.bidder, reloader, rig.pacing, full)
    observer = BidObserver(rig.metrics, full, EventBuilder(ORIGIN), rig.ring, rig.tap)
    rig.app.observer = observer
    assert rig.post(bid_request()) == 200  # two bids: one queued, one dropped
    assert rig.post(bid_request()) == 200
    figures.refresh()
    assert rig.metrics.event_queue_depth.values == {(): 1}
    assert rig.metrics.event_drops.values == {(): 3}
    full.close(5)


def test_one_request_in_n_is_logged_with_its_id_at_debug_level(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    observer = BidObserver(rig.metrics, None, EventBuilder(ORIGIN), rig.ring, rig.tap, log_every=2)
    rig.app.observer = observer
    with caplog.at_level(logging.DEBUG, logger="openbid.bids"):
        for n in range(4):
            rig.post(bid_request(id=f"auction-{n}"))
    lines = [r for r in caplog.records if r.name == "openbid.bids"]
    assert [(r.getMessage(), r.__dict__["request_id"], r.__dict__["bids"]) for r in lines] == [
        ("answered", "auction-1", 2),
        ("answered", "auction-3", 2),
    ]
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="openbid.bids"):
        for _ in range(4):
            rig.post(bid_request())
    assert not [r for r in caplog.records if r.name == "openbid.bids"]
