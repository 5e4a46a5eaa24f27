"""Spec defaults applied by functions, and the enumerated lists."""

from __future__ import annotations

import inspect
from enum import IntEnum

import msgspec

from openbid.openrtb import (
    BidRequest,
    Deal,
    Imp,
    LossReason,
    NoBidReason,
    auction_type,
    bid_floor,
    category_taxonomy,
    deal_auction_type,
    deal_floor,
    deal_floor_currency,
    enums,
    floor_currency,
    is_interstitial,
    is_test,
    model,
    nobid,
    requires_secure,
)


def req(**fields: object) -> BidRequest:
    return msgspec.convert({"id": "r", "imp": [{"id": "1"}], **fields}, BidRequest)


def test_auction_type() -> None:
    assert auction_type(req()) == enums.AuctionType.SECOND_PRICE_PLUS
    assert auction_type(req(at=1)) == enums.AuctionType.FIRST_PRICE
    assert auction_type(req(at=501)) == 501
    assert deal_auction_type(Deal(id="d"), req(at=1)) == 1
    assert deal_auction_type(Deal(id="d", at=3), req(at=1)) == enums.AuctionType.FIXED_PRICE


def test_floors() -> None:
    assert bid_floor(Imp(id="1")) == 0.0
    assert bid_floor(Imp(id="1", bidfloor=0.5)) == 0.5
    assert floor_currency(Imp(id="1")) == "USD"
    assert floor_currency(Imp(id="1", bidfloorcur="")) == "USD"
    assert floor_currency(Imp(id="1", bidfloorcur="EUR")) == "EUR"
    assert deal_floor(Deal(id="d")) == 0.0
    assert deal_floor(Deal(id="d", bidfloor=2)) == 2
    assert deal_floor_currency(Deal(id="d")) == "USD"  # does not inherit imp.bidfloorcur
    assert deal_floor_currency(Deal(id="d", bidfloorcur="JPY")) == "JPY"


def test_flags() -> None:
    assert not is_test(req())
    assert not is_test(req(test=0))
    assert is_test(req(test=1))
    assert not requires_secure(Imp(id="1"))
    assert requires_secure(Imp(id="1", secure=1))
    assert not is_interstitial(Imp(id="1"))
    assert is_interstitial(Imp(id="1", instl=1))
    assert category_taxonomy(None) == enums.CategoryTaxonomy.IAB_CONTENT_1_0
    assert category_taxonomy(7) == 7


def test_no_bid_reasons() -> None:
    assert [int(r) for r in NoBidReason] == list(range(18))
    assert NoBidReason(10).name == "DAILY_DOMAIN_CAP_MET"
    assert NoBidReason.BLOCKED_SUPPLY_CHAIN_NODE.value == 17
    assert nobid.is_exchange_specific(500)
    assert not nobid.is_exchange_specific(17)


def test_loss_reasons() -> None:
    codes = {int(r) for r in LossReason}
    assert set(range(11)) <= codes
    assert set(range(100, 105)) <= codes
    assert set(range(200, 216)) <= codes
    assert LossReason.LOST_TO_HIGHER_BID.value == 102
    assert LossReason.BELOW_AUCTION_FLOOR.value == 100
    assert nobid.is_exchange_specific(1000)


def test_enums_one_source_of_truth() -> None:
    assert enums.NoBidReason is nobid.NoBidReason
    assert enums.LossReason is nobid.LossReason
    for name in enums.__all__:
        member = getattr(enums, name)
        assert issubclass(member, IntEnum), name
        assert len({int(v) for v in member}) == len(member), name  # no aliases
    assert enums.MarkupType.VIDEO.value == 2
    assert enums.VideoPlacement.INSTREAM.value == 1
    assert enums.DeviceType.CONNECTED_TV.value == 3
    assert enums.ConnectionType.CELLULAR_5G.value == 7
    assert enums.APIFramework.OMID_1.value == 7
    assert enums.Protocol.VAST_4_2_WRAPPER.value == 14


def test_every_struct_is_kw_only_and_omits_defaults() -> None:
    structs = [
        getattr(model, name)
        for name in model.__all__
        if isinstance(getattr(model, name), type)
        and issubclass(getattr(model, name), msgspec.Struct)
    ]
    assert len(structs) == 39
    for struct in structs:
        assert struct.__struct_config__.omit_defaults, struct
        parameters = inspect.signature(struct).parameters.values()
        assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in parameters), struct
        info = msgspec.inspect.type_info(struct)
        assert isinstance(info, msgspec.inspect.StructType)
        required = {f.name for f in info.fields if f.required}
        expected = {"BidRequest": {"id", "imp"}, "Imp": {"id"}}.get(struct.__name__, set())
        assert required == expected, struct
        for field in info.fields:
            if not field.required:
                assert field.default is None, (struct, field.name)
        if struct is not model.OpenRTBObject and struct is not model.BrandVersion:
            assert "ext" in struct.__struct_fields__, struct
