"""The model against real documents: the spec's examples and Prebid Server's adapter corpora."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import msgspec
import pytest

from openbid.openrtb import (
    BidRequest,
    BidResponse,
    InvalidRequest,
    InvalidResponse,
    decode_request,
    decode_response,
    encode_request,
    encode_response,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
SPEC = FIXTURES / "openrtb"
PREBID = FIXTURES / "prebid-server"

REQUEST_FILES = sorted((SPEC / "bid-request").rglob("*.json"))
RESPONSE_FILES = sorted((SPEC / "bid-response").rglob("*.json"))


def _name(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def _corpus(name: str, field: str) -> list[tuple[str, str, Any]]:
    rows = []
    with (PREBID / name).open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            rows.append((row["adapter"], row["case"], row[field]))
    return rows


def assert_kept(original: Any, decoded: Any, path: str = "$") -> None:
    """Every field the model knows is decoded exactly as sent; ``ext`` verbatim.

    Keys the model does not know (exchange quirks, proto-only fields) are ignored, as the
    spec asks of a bidder; a JSON ``null`` is kept as ``None`` (absent).
    """
    if isinstance(decoded, msgspec.Struct):
        assert isinstance(original, dict), path
        for key, value in original.items():
            if key in decoded.__struct_fields__:
                assert_kept(value, getattr(decoded, key), f"{path}.{key}")
    elif isinstance(decoded, list):
        assert isinstance(original, list), path
        assert len(original) == len(decoded), path
        for index, (left, right) in enumerate(zip(original, decoded, strict=True)):
            assert_kept(left, right, f"{path}[{index}]")
    else:
        # Scalars and ext objects: equal as JSON values (an int sent to a float field is
        # equal to the float it became).
        assert original == decoded, path
        assert type(original) is type(decoded) or isinstance(decoded, float), path


# ---------------------------------------------------------------------------------------------
# The spec's examples: decode, and re-encode to the same JSON.
# ---------------------------------------------------------------------------------------------


def test_spec_fixtures_are_present() -> None:
    assert len(REQUEST_FILES) >= 11
    assert len(RESPONSE_FILES) >= 8


@pytest.mark.parametrize("path", REQUEST_FILES, ids=_name)
def test_spec_request_round_trips(path: Path) -> None:
    body = path.read_bytes()
    req = decode_request(body, compat=False)
    assert isinstance(req, BidRequest)
    assert_kept(json.loads(body), req)
    assert json.loads(encode_request(req)) == json.loads(body)


@pytest.mark.parametrize("path", REQUEST_FILES, ids=_name)
def test_spec_request_decodes_with_compat(path: Path) -> None:
    req = decode_request(path.read_bytes())
    assert req.imp


@pytest.mark.parametrize("path", RESPONSE_FILES, ids=_name)
def test_spec_response_round_trips(path: Path) -> None:
    body = path.read_bytes()
    resp = decode_response(body)
    assert isinstance(resp, BidResponse)
    assert_kept(json.loads(body), resp)
    assert json.loads(encode_response(resp)) == json.loads(body)


def test_absent_is_not_zero_in_spec_example() -> None:
    req = decode_request((SPEC / "bid-request" / "2.6" / "mobile.json").read_bytes())
    assert req.at == 2
    assert req.tmax is None
    imp = req.imp[0]
    assert imp.instl is None  # the example's instl=0 was removed upstream: absent, not 0
    assert imp.secure is None
    assert imp.bidfloor == 0.5
    assert req.device is not None
    assert req.device.dnt == 0  # present and zero
    assert req.device.lmt is None  # absent
    assert b'"instl"' not in encode_request(req)
    assert b'"dnt":0' in encode_request(req)


# ---------------------------------------------------------------------------------------------
# Prebid Server's corpora: what adapters really send and receive.
# ---------------------------------------------------------------------------------------------

# Requests the bidder rejects, each checked by hand against the spec (see the module report):
# repeated imp ids (Prebid Server splitting a multi-format imp for an adapter) and `ext` that is
# not a JSON object (test cases written to exercise adapters' error paths).
REJECTED_REQUESTS = {
    ("admixer", "optional-params.json"): "imp ids not unique",
    ("bliink", "multiple_format_request.json"): "imp ids not unique",
    ("logicad", "multiImpSameTid.json"): "imp ids not unique",
    ("openx", "optional-params.json"): "imp ids not unique",
    ("tadvertising_blis", "banner.json"): "expected `object`, got `str` at `$.source.schain",
    ("tadvertising_blis", "banner_no_publisher_id_in_app.json"): "expected `object`, got `str`",
    ("tadvertising_blis", "multiImpressionsRequest.json"): "expected `object`, got `str`",
    ("tpmn", "no-imp-ext.json"): "expected `object`, got `str` at `$.imp[0].ext`",
    ("trustx", "invalid-imp-ext.json"): "expected `object`, got `int` at `$.imp[0].ext`",
}

# Responses that do not decode: all are adapters' deliberately broken test responses (a bid
# `ext` that is a string or number, ids as numbers, sizes/price/mtype as strings, `bid` as an
# object). The case names say so: "invalid-", "bad-", "broken-", "unmarshal error".
REJECTED_RESPONSES = {
    ("adagio", "invalid-bid-ext-response.json"),
    ("aduptech", "broken-response.json"),
    ("apacdex", "invalid-response-unmarshall-error.json"),
    ("beintoo", "invalid-response-unmarshall-error.json"),
    ("elementaltv", "invalid-video-ext.json"),
    ("fwssp", "invalid_bid_response.json"),
    ("mobkoi", "bad-response.json"),
    ("nativery", "bad_bid_response.json"),
    ("pulsepoint", "bad-bid-data.json"),
    ("seedtag", "response_unmarshal_error.json"),
    ("smaato", "bad-bid-ext-response.json"),
    ("smartrtb", "invalid-bid-ext.json"),
    ("trafficgate", "bad_bidtype_response.json"),
    ("triplelift", "badresponseext.json"),
    ("triplelift_native", "app-msn-no-tag-code.json"),
    ("trustedstack", "valid-req-200-incorrect-response-format.json"),
}


def test_prebid_server_requests() -> None:
    rows = _corpus("prebid-server-bidder-requests.jsonl", "request")
    assert len(rows) == 1613
    rejected: dict[tuple[str, str], str] = {}
    for adapter, case, document in rows:
        body = json.dumps(document).encode()
        try:
            req = decode_request(body, compat=False)
        except InvalidRequest as exc:  # any other exception fails the test
            rejected[(adapter, case)] = exc.reason
            continue
        assert_kept(document, req, f"{adapter}/{case}")
        assert decode_request(encode_request(req), compat=False) == req
        decode_request(body)  # and with 2.5 promotion
    kinds = Counter(reason.split(" at ")[0].split(" (")[0] for reason in rejected.values())
    print(f"\nprebid-server requests: {len(rows) - len(rejected)}/{len(rows)} decode; {kinds}")
    for key, reason in sorted(rejected.items()):
        print("  rejected", *key, "->", reason)
    assert rejected.keys() == REJECTED_REQUESTS.keys()
    for key, expected in REJECTED_REQUESTS.items():
        assert rejected[key].startswith(expected), (key, rejected[key])


def test_prebid_server_responses() -> None:
    rows = _corpus("prebid-server-bidder-responses.jsonl", "response")
    assert len(rows) == 1138
    rejected: dict[tuple[str, str], str] = {}
    for adapter, case, document in rows:
        try:
            resp = decode_response(json.dumps(document).encode())
        except InvalidResponse as exc:
            rejected[(adapter, case)] = exc.reason
            continue
        assert_kept(document, resp, f"{adapter}/{case}")
        assert decode_response(encode_response(resp)) == resp
    kinds = Counter(reason.split(" at ")[0] for reason in rejected.values())
    print(f"\nprebid-server responses: {len(rows) - len(rejected)}/{len(rows)} decode; {kinds}")
    for key, reason in sorted(rejected.items()):
        print("  rejected", *key, "->", reason)
    assert set(rejected) == REJECTED_RESPONSES
    assert all(reason.startswith("expected `") for reason in rejected.values())
