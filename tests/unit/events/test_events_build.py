"""Event builders: the fields each kind carries, unique ids, the origin on every event."""

import msgspec
import pytest

from openbid.events.build import Audience, EventBuilder, Origin, hash_user
from openbid.events.schema import SCHEMA_VERSION, Deployment, Event, EventKind

ORIGIN = Origin("1.4.2", Deployment.CANARY, "task-9")


def builder() -> EventBuilder:
    return EventBuilder(ORIGIN, clock=lambda: 1_780_000_000_123_456_789)


def test_bid_event_carries_the_bid_the_audience_and_the_origin() -> None:
    audience = Audience("ab12", "USA", "US-NY", 4, "iOS")
    event = builder().bid(
        auction_id="a1",
        imp_id="1",
        bid_id="b1",
        exchange="adx",
        line_item="li-1",
        campaign="c-1",
        advertiser="adv-1",
        creative="cr-1",
        price_micros=2_500_000,
        currency="USD",
        deal="D1",
        audience=audience,
    )
    assert event.kind is EventKind.BID
    assert event.schema_version == SCHEMA_VERSION
    assert event.ts == 1_780_000_000_123_456
    assert (event.bid_price_micros, event.currency, event.deal) == (2_500_000, "USD", "D1")
    assert (event.user_key, event.country, event.region, event.device_type, event.os) == (
        "ab12",
        "USA",
        "US-NY",
        4,
        "iOS",
    )
    assert (event.bidder_version, event.deployment, event.task) == ("1.4.2", "canary", "task-9")


def test_nobid_and_notice_and_rejected_notice() -> None:
    build = builder()
    nobid = build.nobid(auction_id="a2", exchange="adx", reason="below_floor", sample_rate=100)
    assert (nobid.kind, nobid.nobid_reason, nobid.sample_rate) == ("nobid", "below_floor", 100)
    loss = build.notice(
        EventKind.LOSS,
        auction_id="a1",
        imp_id="1",
        bid_id="b1",
        line_item="li-1",
        creative="cr-1",
        bid_price_micros=2_500_000,
        currency="USD",
        clearing_price_micros=3_000_000,
        loss_reason=102,
    )
    assert (loss.kind, loss.loss_reason, loss.clearing_price_micros) == ("loss", 102, 3_000_000)
    assert loss.campaign is None
    rejected = build.rejected_notice("win", "bad_signature", bid_id="b1")
    assert (rejected.kind, rejected.notice_kind, rejected.rejected_reason) == (
        "rejected_notice",
        "win",
        "bad_signature",
    )


def test_notice_refuses_kinds_that_are_not_notices() -> None:
    with pytest.raises(ValueError, match="not a notice kind"):
        builder().notice(
            EventKind.BID,
            auction_id="a",
            imp_id="1",
            bid_id="b",
            line_item="l",
            creative="c",
            bid_price_micros=1,
            currency="USD",
        )


def test_event_ids_are_unique_within_and_across_builders() -> None:
    first, second = builder(), builder()
    ids = {
        build.rejected_notice("win", "expired").event_id
        for build in (first, second)
        for _ in range(1000)
    }
    assert len(ids) == 2000


def test_user_ids_are_hashed_with_a_key() -> None:
    assert hash_user(None, b"k") is None
    hashed = hash_user("user-123", b"salt-1")
    assert hashed is not None
    assert len(hashed) == 16
    assert "user" not in hashed
    assert hash_user("user-123", b"salt-1") == hashed
    assert hash_user("user-123", b"salt-2") != hashed


def set_fields(event: Event) -> dict[str, object]:
    return {k: v for k, v in msgspec.structs.asdict(event).items() if v is not None}


ORIGIN_FIELDS = {
    "schema_version": SCHEMA_VERSION,
    "ts": 1_780_000_000_123_456,
    "bidder_version": "1.4.2",
    "deployment": "canary",
    "task": "task-9",
}


def test_every_field_of_every_kind_lands_where_it_belongs() -> None:
    """The builders construct events positionally: a value in the wrong slot shows here."""
    build = builder()
    audience = Audience("ab12", "USA", "US-NY", 4, "iOS")
    bid = build.bid(
        auction_id="a",
        imp_id="i",
        bid_id="b",
        exchange="x",
        line_item="l",
        campaign="c",
        advertiser="v",
        creative="r",
        price_micros=7,
        currency="EUR",
        deal="d",
        audience=audience,
    )
    nobid = build.nobid(
        auction_id="a", exchange="x", reason="why", sample_rate=3, audience=audience
    )
    win = build.notice(
        EventKind.WIN,
        auction_id="a",
        imp_id="i",
        bid_id="b",
        line_item="l",
        creative="r",
        bid_price_micros=7,
        currency="EUR",
        clearing_price_micros=5,
        loss_reason=0,
        campaign="c",
        advertiser="v",
        exchange="x",
        deal="d",
    )
    rejected = build.rejected_notice(
        "bill", "expired", auction_id="a", imp_id="i", bid_id="b", line_item="l"
    )
    ids = ("auction_id", "imp_id", "bid_id")
    people = {
        "user_key": "ab12",
        "country": "USA",
        "region": "US-NY",
        "device_type": 4,
        "os": "iOS",
    }
    expected: list[tuple[Event, dict[str, object]]] = [
        (bid, {"kind": "bid", **dict(zip(ids, "aib", strict=True)), "exchange": "x",
               "line_item": "l", "campaign": "c", "advertiser": "v", "creative": "r", "deal": "d",
               "bid_price_micros": 7, "currency": "EUR", **people}),
        (nobid, {"kind": "nobid", "auction_id": "a", "exchange": "x", "nobid_reason": "why",
                 "sample_rate": 3, **people}),
        (win, {"kind": "win", **dict(zip(ids, "aib", strict=True)), "exchange": "x",
               "line_item": "l", "campaign": "c", "advertiser": "v", "creative": "r", "deal": "d",
               "bid_price_micros": 7, "clearing_price_micros": 5, "currency": "EUR",
               "loss_reason": 0}),
        (rejected, {"kind": "rejected_notice", **dict(zip(ids, "aib", strict=True)),
                    "line_item": "l", "notice_kind": "bill", "rejected_reason": "expired"}),
    ]  # fmt: skip
    for event, fields in expected:
        found = set_fields(event)
        assert found.pop("event_id")
        assert found == {**ORIGIN_FIELDS, **fields}
