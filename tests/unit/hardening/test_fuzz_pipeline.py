"""Fuzzing the decoder and the whole bid pipeline with requests drawn from the OpenRTB model.

Whatever an exchange sends, the bid handler answers 200 with a valid bid response, 204, or 400 —
never an exception (which the server would turn into a 500).
"""

import json
import time
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openbid.bidder.config import BidderConfig
from openbid.bidder.pipeline import Bidder
from openbid.bidder.snapshot import compile_catalog
from openbid.catalog.source import BuiltinSource
from openbid.exchange.validate import bid_response_problems
from openbid.notices.signing import SigningKeys
from openbid.openrtb.codec import InvalidRequest, decode_request, decode_response
from openbid.openrtb.model import BidRequest
from openbid.server.app import BidApp
from openbid.server.http import HttpRequest

from .openrtb_strategies import hostile_json, model_json

FIXTURES = Path(__file__).parents[2] / "fixtures/openrtb/bid-request/2.6"
SEEDS = [json.loads(path.read_text()) for path in sorted(FIXTURES.glob("*.json"))]
FUZZ = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module")
def bid_app() -> BidApp:
    """The demo catalog behind the real bid handler."""
    config = BidderConfig(signing_keys=SigningKeys({"fuzz": b"f" * 32}, "fuzz"))
    bidder = Bidder(config, compile_catalog(BuiltinSource().load(), config.seat))
    bidder.point_notices_at("http://127.0.0.1:1")
    return BidApp(bidder)


def _overlay(seed: dict[str, Any], drawn: dict[str, Any], keys: list[str]) -> dict[str, Any]:
    """A recorded request with some top-level members replaced by model-drawn ones."""
    return {**seed, **{key: drawn[key] for key in keys if key in drawn}}


TOP_LEVEL = [field.encode_name for field in msgspec.structs.fields(BidRequest)]
VARIED_SEEDS = st.builds(
    _overlay,
    st.sampled_from(SEEDS),
    model_json(BidRequest),
    st.lists(st.sampled_from(TOP_LEVEL), max_size=4, unique=True),
)


def _post(app: BidApp, body: bytes) -> int:
    """Send ``body`` to the bid handler; check a 200's response as an exchange would."""
    response = app.bid(HttpRequest("POST", "/openrtb2/bid", "", {}, body, time.monotonic()))
    assert response.status in (200, 204, 400), response.status
    if response.status == 200:
        request = decode_request(body)
        assert bid_response_problems(request, decode_response(response.body)) == []
    return response.status


@FUZZ
@given(model_json(BidRequest))
def test_model_shaped_requests_decode_or_are_refused_with_a_reason(value: Any) -> None:
    try:
        request = decode_request(json.dumps(value).encode())
    except InvalidRequest as error:
        reason = error.reason
    else:
        reason = "accepted"
        assert request.id
        assert request.imp
    assert reason


@FUZZ
@given(VARIED_SEEDS)
def test_varied_recorded_requests_get_a_valid_answer(
    bid_app: BidApp, value: dict[str, Any]
) -> None:
    _post(bid_app, json.dumps(value).encode())


@FUZZ
@given(hostile_json(BidRequest))
def test_hostile_json_gets_200_204_or_400(bid_app: BidApp, value: Any) -> None:
    _post(bid_app, json.dumps(value).encode())


@FUZZ
@given(st.binary(max_size=2048) | st.sampled_from(SEEDS).map(lambda s: json.dumps(s).encode()[:-7]))
def test_arbitrary_bytes_get_400(bid_app: BidApp, body: bytes) -> None:
    assert _post(bid_app, body) == 400


def test_the_seeds_do_bid(bid_app: BidApp) -> None:
    statuses = {_post(bid_app, json.dumps(seed).encode()) for seed in SEEDS}
    assert 200 in statuses, "the fuzzed seeds reach the bidding path"
