"""The codec: what decode_request/decode_response accept, and the reasons for what they do not."""

from __future__ import annotations

import json

import pytest

from openbid.openrtb import (
    Banner,
    Bid,
    BidRequest,
    BidResponse,
    Imp,
    InvalidMessage,
    InvalidRequest,
    InvalidResponse,
    Regs,
    SeatBid,
    decode_request,
    decode_response,
    encode_request,
    encode_response,
)
from openbid.openrtb.codec import MAX_IMPS

MINIMAL = b'{"id":"r1","imp":[{"id":"1"}]}'


def reason_for(body: bytes) -> str:
    with pytest.raises(InvalidRequest) as caught:
        decode_request(body)
    reason = caught.value.reason
    assert reason == str(caught.value)
    assert "\n" not in reason
    assert "Traceback" not in reason
    assert len(reason) < 200
    return reason


def test_minimal_request() -> None:
    req = decode_request(MINIMAL)
    assert req == BidRequest(id="r1", imp=[Imp(id="1")])
    assert encode_request(req) == MINIMAL


def test_accepts_bytearray_and_memoryview() -> None:
    assert decode_request(bytearray(MINIMAL)).id == "r1"
    assert decode_request(memoryview(MINIMAL)).id == "r1"


def test_invalid_request_is_a_value_error() -> None:
    assert issubclass(InvalidRequest, InvalidMessage)
    assert issubclass(InvalidRequest, ValueError)
    assert not issubclass(InvalidResponse, InvalidRequest)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"", "empty body"),
        (b" ", "not JSON: truncated"),
        (b"<html>", "not JSON: invalid character (byte 0)"),
        (b"not json", "not JSON: invalid character (byte 4)"),
        (b'{"id":"r1","imp":[{"id":"1"}]', "not JSON: truncated"),
        (b'{"id":"r1","imp":[{"id":"1"}]} x', "not JSON: trailing characters (byte 32)"),
        (b"{'id': 'r1'}", "not JSON: object keys must be strings (byte 1)"),
        (b"[]", "not a JSON object (got `array`)"),
        (b'"r1"', "not a JSON object (got `str`)"),
        (b"42", "not a JSON object (got `int`)"),
        (b"null", "not a JSON object (got `null`)"),
        (b'{"imp":[{"id":"1"}]}', "missing field `id`"),
        (b'{"id":"r1"}', "missing field `imp`"),
        (b'{"id":"r1","imp":[]}', "empty `imp`"),
        (b'{"id":"r1","imp":null}', "expected `array`, got `null` at `$.imp`"),
        (b'{"id":"","imp":[{"id":"1"}]}', "empty `id`"),
        (b'{"id":"r1","imp":[{}]}', "missing field `id` at `$.imp[0]`"),
        (b'{"id":"r1","imp":[{"id":""}]}', "empty imp id at `$.imp[0].id`"),
        (b'{"id":"r1","imp":[{"id":"1"},{"id":""}]}', "empty imp id at `$.imp[1].id`"),
        (b'{"id":"r1","imp":[{"id":"1"},{"id":"1"}]}', "imp ids not unique (`1` repeated)"),
        (b'{"id":7,"imp":[{"id":"1"}]}', "expected `str`, got `int` at `$.id`"),
        (b'{"id":"r1","imp":{"id":"1"}}', "expected `array`, got `object` at `$.imp`"),
        (b'{"id":"r1","imp":[{"id":1}]}', "expected `str`, got `int` at `$.imp[0].id`"),
        (
            b'{"id":"r1","imp":[{"id":"1","banner":{"w":"300"}}]}',
            "expected `int`, got `str` at `$.imp[0].banner.w`",
        ),
        (
            b'{"id":"r1","imp":[{"id":"1","banner":{"w":300.5}}]}',
            "expected `int`, got `float` at `$.imp[0].banner.w`",
        ),
        (
            b'{"id":"r1","imp":[{"id":"1","bidfloor":"0.5"}]}',
            "expected `float`, got `str` at `$.imp[0].bidfloor`",
        ),
        (
            b'{"id":"r1","imp":[{"id":"1","bidfloor":1e999}]}',
            "number out of range at `$.imp[0].bidfloor`",
        ),
        (
            b'{"id":"r1","imp":[{"id":"1","secure":true}]}',
            "expected `int`, got `bool` at `$.imp[0].secure`",
        ),
        (
            b'{"id":"r1","imp":[{"id":"1"}],"bcat":"IAB1"}',
            "expected `array`, got `str` at `$.bcat`",
        ),
        (
            b'{"id":"r1","imp":[{"id":"1"}],"bcat":[1]}',
            "expected `str`, got `int` at `$.bcat[0]`",
        ),
        (
            b'{"id":"r1","imp":[{"id":"1"}],"ext":[]}',
            "expected `object`, got `array` at `$.ext`",
        ),
        (
            b'{"id":"r1","imp":[{"id":"1"}],"device":{"geo":{"lat":"north"}}}',
            "expected `float`, got `str` at `$.device.geo.lat`",
        ),
    ],
)
def test_malformed_requests(body: bytes, expected: str) -> None:
    assert reason_for(body) == expected


@pytest.mark.parametrize(
    "body",
    [
        b'{"id":"\xff","imp":[{"id":"1"}]}',
        b'{"id":"r1","imp":[{"id":"\xc3"}]}',
        b'{"id":"r1","imp":[{"id":"1"}],"ext":{"a":"\xed\xa0\x80"}}',  # encoded surrogate
        b'{"id":"r1","imp":[{"id":"1"}],"ext":{"\xfe":1}}',
    ],
)
def test_invalid_utf8(body: bytes) -> None:
    assert reason_for(body) == "invalid UTF-8"


def test_deeply_nested_ext() -> None:
    depth = 100_000
    body = b'{"id":"r1","imp":[{"id":"1"}],"ext":{"a":' + b"[" * depth + b"]" * depth + b"}}"
    assert reason_for(body) == "JSON nested too deeply"
    # and the interpreter is fine afterwards
    assert decode_request(MINIMAL).id == "r1"


def test_deeply_nested_top_level() -> None:
    assert reason_for(b"[" * 100_000 + b"]" * 100_000) == "not a JSON object (got `array`)"
    # an unknown field is skipped, but skipping still walks (and bounds) its nesting
    nested_objects = b'{"a":' * 50_000 + b"1" + b"}" * 50_000
    assert reason_for(nested_objects) == "JSON nested too deeply"


def test_reasonable_nesting_is_fine() -> None:
    ext = json.dumps({"a": [[[[[[[[{"b": [1, 2, {"c": None}]}]]]]]]]]})
    body = b'{"id":"r1","imp":[{"id":"1"}],"ext":' + ext.encode() + b"}"
    assert decode_request(body).ext == json.loads(ext)


def test_unknown_fields_and_enum_values_tolerated() -> None:
    body = json.dumps(
        {
            "id": "r1",
            "imp": [{"id": "1", "banner": {"api": [999], "btype": [77]}, "future": {"x": 1}}],
            "at": 501,
            "brand_new_field": [1, 2, 3],
            "device": {"devicetype": 42, "connectiontype": 600},
        }
    ).encode()
    req = decode_request(body)
    assert req.at == 501
    assert req.imp[0].banner == Banner(api=[999], btype=[77])
    assert req.device is not None
    assert req.device.devicetype == 42


def test_null_is_absent() -> None:
    req = decode_request(b'{"id":"r1","imp":[{"id":"1","bidfloor":null}],"regs":null}')
    assert req.imp[0].bidfloor is None
    assert req.regs is None
    assert encode_request(req) == MINIMAL


def test_integer_into_float_field() -> None:
    req = decode_request(b'{"id":"r1","imp":[{"id":"1","bidfloor":1}]}')
    assert req.imp[0].bidfloor == 1.0
    assert isinstance(req.imp[0].bidfloor, float)


def test_zero_is_kept_distinct_from_absent() -> None:
    body = b'{"id":"r1","imp":[{"id":"1","bidfloor":0.0,"instl":0,"tagid":""}],"test":0}'
    req = decode_request(body)
    assert req.imp[0].bidfloor == 0.0
    assert req.imp[0].instl == 0
    assert req.imp[0].tagid == ""
    assert req.test == 0
    assert json.loads(encode_request(req)) == json.loads(body)
    absent = decode_request(MINIMAL)
    assert absent.imp[0].bidfloor is None
    assert absent.imp[0].instl is None
    assert absent.test is None


def test_ext_kept_exactly() -> None:
    ext = {"prebid": {"bidder": {"x": [1, 2.5, None, True, "s"]}}, "gdpr": 1, "": {}}
    body = json.dumps({"id": "r1", "imp": [{"id": "1", "ext": ext}], "ext": ext}).encode()
    req = decode_request(body)
    assert req.ext == ext
    assert req.imp[0].ext == ext
    assert json.loads(encode_request(req))["ext"] == ext


def test_compat_flag() -> None:
    body = b'{"id":"r1","imp":[{"id":"1"}],"regs":{"ext":{"gdpr":1}}}'
    assert decode_request(body).regs == Regs(gdpr=1, ext={"gdpr": 1})
    assert decode_request(body, compat=False).regs == Regs(ext={"gdpr": 1})


def test_many_imps() -> None:
    imps = [{"id": str(i)} for i in range(MAX_IMPS)]
    req = decode_request(json.dumps({"id": "r1", "imp": imps}).encode())
    assert len(req.imp) == MAX_IMPS
    imps[-1] = {"id": "50"}
    reason = reason_for(json.dumps({"id": "r1", "imp": imps}).encode())
    assert reason == "imp ids not unique (`50` repeated)"


def test_more_imps_than_any_exchange_sends_are_refused() -> None:
    imps = [{"id": str(i)} for i in range(MAX_IMPS + 1)]
    reason = reason_for(json.dumps({"id": "r1", "imp": imps}).encode())
    assert reason == f"too many impressions ({MAX_IMPS + 1} > {MAX_IMPS})"


# ---------------------------------------------------------------------------------------------
# Responses
# ---------------------------------------------------------------------------------------------


def test_response_round_trip() -> None:
    resp = BidResponse(
        id="r1",
        bidid="b1",
        cur="USD",
        seatbid=[
            SeatBid(
                seat="s1",
                bid=[
                    Bid(
                        id="1",
                        impid="1",
                        price=1.25,
                        adm="<div/>",
                        adomain=["ex.com"],
                        crid="c1",
                        mtype=1,
                        burl="https://b/?p=${AUCTION_PRICE}",
                        ext={"k": [1]},
                    )
                ],
            )
        ],
    )
    body = encode_response(resp)
    assert decode_response(body) == resp
    assert b"null" not in body
    assert json.loads(body)["seatbid"][0]["bid"][0]["price"] == 1.25


def test_no_bid_response() -> None:
    body = encode_response(BidResponse(id="r1", nbr=2))
    assert body == b'{"id":"r1","nbr":2}'
    assert decode_response(body).nbr == 2


def test_response_price_absent_is_none() -> None:
    resp = decode_response(b'{"id":"r1","seatbid":[{"bid":[{"id":"1","impid":"1"}]}]}')
    assert resp.seatbid is not None
    bids = resp.seatbid[0].bid
    assert bids is not None
    assert bids[0].price is None


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"", "empty body"),
        (b"<html>", "not JSON: invalid character (byte 0)"),
        (b"[]", "not a JSON object (got `array`)"),
        (b'{"seatbid":{}}', "expected `array`, got `object` at `$.seatbid`"),
        (
            b'{"seatbid":[{"bid":[{"price":"1.0"}]}]}',
            "expected `float`, got `str` at `$.seatbid[0].bid[0].price`",
        ),
        (b'{"id":"\xff"}', "invalid UTF-8"),
        (b'{"ext":' + b"[" * 100_000 + b"]" * 100_000 + b"}", "expected `object`, got `array`"),
        (b'{"ext":{"a":' + b"[" * 100_000 + b"]" * 100_000 + b"}}", "JSON nested too deeply"),
    ],
)
def test_malformed_responses(body: bytes, expected: str) -> None:
    with pytest.raises(InvalidResponse) as caught:
        decode_response(body)
    assert caught.value.reason.startswith(expected)
