"""Properties: generated requests survive encode/decode; no input makes decode raise otherwise."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openbid.openrtb import (
    EID,
    UID,
    App,
    Banner,
    Bid,
    BidRequest,
    BidResponse,
    Deal,
    Device,
    Format,
    Geo,
    Imp,
    InvalidMessage,
    InvalidRequest,
    InvalidResponse,
    Native,
    Pmp,
    Publisher,
    Regs,
    SeatBid,
    Site,
    Source,
    SupplyChain,
    SupplyChainNode,
    User,
    Video,
    decode_request,
    decode_response,
    encode_request,
    encode_response,
    normalize,
)

SPEC_REQUESTS = sorted(
    (Path(__file__).resolve().parents[2] / "fixtures" / "openrtb" / "bid-request").rglob("*.json")
)

# --- JSON values (what an ext may hold) -------------------------------------------------------

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=12,
)
ext = st.none() | st.dictionaries(st.text(max_size=8), json_values, max_size=4)

# --- Scalars: absent (None) and zero/empty both drawn often ----------------------------------

flag = st.none() | st.sampled_from([0, 1])
small_int = st.none() | st.just(0) | st.integers(min_value=-(2**31), max_value=2**31)
enum_int = st.none() | st.integers(min_value=0, max_value=1000)
real = st.none() | st.just(0.0) | st.floats(allow_nan=False, allow_infinity=False)
text = st.none() | st.just("") | st.text(max_size=12)
int_list = st.none() | st.lists(st.integers(min_value=0, max_value=600), max_size=4)
text_list = st.none() | st.lists(st.text(max_size=8), max_size=4)

formats = st.builds(Format, w=small_int, h=small_int, wratio=small_int, ext=ext)
banners = st.builds(
    Banner,
    format=st.none() | st.lists(formats, max_size=3),
    w=small_int,
    h=small_int,
    btype=int_list,
    battr=int_list,
    pos=enum_int,
    mimes=text_list,
    api=int_list,
    vcm=flag,
    ext=ext,
)
videos = st.builds(
    Video,
    mimes=text_list,
    minduration=small_int,
    maxduration=small_int,
    protocols=int_list,
    plcmt=enum_int,
    podid=text,
    rqddurs=int_list,
    mincpmpersec=real,
    companionad=st.none() | st.lists(banners, max_size=2),
    ext=ext,
)
natives = st.builds(Native, request=text, ver=text, api=int_list, ext=ext)
deals = st.builds(
    Deal, id=text, bidfloor=real, bidfloorcur=text, at=enum_int, wseat=text_list, ext=ext
)
pmps = st.builds(Pmp, private_auction=flag, deals=st.none() | st.lists(deals, max_size=3), ext=ext)
imp_ids = st.text(min_size=1, max_size=8)
imps = st.builds(
    Imp,
    id=imp_ids,
    banner=st.none() | banners,
    video=st.none() | videos,
    native=st.none() | natives,
    pmp=st.none() | pmps,
    instl=flag,
    tagid=text,
    bidfloor=real,
    bidfloorcur=text,
    secure=flag,
    rwdd=flag,
    ssai=enum_int,
    dt=real,
    ext=ext,
)
publishers = st.builds(Publisher, id=text, name=text, cat=text_list, ext=ext)
sites = st.builds(
    Site, id=text, domain=text, page=text, cat=text_list, publisher=st.none() | publishers, ext=ext
)
apps = st.builds(App, id=text, bundle=text, publisher=st.none() | publishers, ext=ext)
geos = st.builds(Geo, lat=real, lon=real, type=enum_int, country=text, utcoffset=small_int, ext=ext)
devices = st.builds(
    Device,
    ua=text,
    ip=text,
    geo=st.none() | geos,
    dnt=flag,
    lmt=flag,
    devicetype=enum_int,
    pxratio=real,
    ifa=text,
    ext=ext,
)
uids = st.builds(UID, id=text, atype=enum_int, ext=ext)
eids = st.builds(EID, source=text, mm=enum_int, uids=st.none() | st.lists(uids, max_size=2))
users = st.builds(
    User,
    id=text,
    buyeruid=text,
    consent=text,
    eids=st.none() | st.lists(eids, max_size=2),
    ext=ext,
)
regs = st.builds(Regs, coppa=flag, gdpr=flag, us_privacy=text, gpp=text, gpp_sid=int_list, ext=ext)
nodes = st.builds(SupplyChainNode, asi=text, sid=text, hp=flag, ext=ext)
schains = st.builds(
    SupplyChain, complete=flag, ver=text, nodes=st.none() | st.lists(nodes, max_size=3)
)
sources = st.builds(Source, fd=flag, tid=text, schain=st.none() | schains, ext=ext)

requests = st.builds(
    BidRequest,
    id=st.text(min_size=1, max_size=12),
    imp=st.lists(imps, min_size=1, max_size=4, unique_by=lambda imp: imp.id),
    site=st.none() | sites,
    app=st.none() | apps,
    device=st.none() | devices,
    user=st.none() | users,
    test=flag,
    at=enum_int,
    tmax=small_int,
    cur=text_list,
    bcat=text_list,
    badv=text_list,
    source=st.none() | sources,
    regs=st.none() | regs,
    ext=ext,
)

bids = st.builds(
    Bid,
    id=text,
    impid=text,
    price=real,
    adm=text,
    adomain=text_list,
    crid=text,
    mtype=enum_int,
    dur=small_int,
    apis=int_list,
    ext=ext,
)
responses = st.builds(
    BidResponse,
    id=text,
    seatbid=st.none()
    | st.lists(
        st.builds(SeatBid, bid=st.none() | st.lists(bids, max_size=3), seat=text, ext=ext),
        max_size=2,
    ),
    cur=text,
    nbr=enum_int,
    ext=ext,
)


@given(requests)
@settings(suppress_health_check=[HealthCheck.too_slow])
def test_request_round_trip(req: BidRequest) -> None:
    body = encode_request(req)
    top = json.loads(body)
    assert all(value is not None for value in top.values())  # absent fields are left out
    assert all(value is not None for imp in top["imp"] for value in imp.values())
    assert decode_request(body, compat=False) == req


@given(responses)
def test_response_round_trip(resp: BidResponse) -> None:
    assert decode_response(encode_response(resp)) == resp


def rejection(decode: Callable[[bytes], object], body: bytes) -> str | None:
    """Decode ``body``; the reason if it was rejected, None if accepted.

    Only InvalidMessage (InvalidRequest/InvalidResponse) is caught: anything else fails the test.
    """
    try:
        decode(body)
    except InvalidMessage as exc:
        reason = exc.reason
        error = type(exc)
    else:
        return None
    assert error is (InvalidRequest if decode is decode_request else InvalidResponse)
    return reason


def assert_good_reason(reason: str | None) -> None:
    if reason is not None:
        assert reason
        assert "\n" not in reason
        assert len(reason) < 300


@given(st.binary(max_size=256))
def test_arbitrary_bytes_only_raise_invalid_request(body: bytes) -> None:
    assert_good_reason(rejection(decode_request, body))
    assert_good_reason(rejection(decode_response, body))
    with pytest.raises(InvalidMessage) as caught:
        decode_request(body + b"\x00")  # never a valid document
    assert isinstance(caught.value, InvalidRequest)


@given(json_values)
def test_arbitrary_json_only_raises_invalid_request(value: Any) -> None:
    body = json.dumps(value).encode()
    assert_good_reason(rejection(decode_request, body))
    assert_good_reason(rejection(decode_response, body))


def _mutate(document: Any, path: list[int], replacement: Any) -> Any:
    """Replace the value found by walking ``path`` (indices into keys/items) with another."""
    if not path or not isinstance(document, dict | list) or not document:
        return replacement
    step, rest = path[0], path[1:]
    if isinstance(document, dict):
        key = sorted(document)[step % len(document)]
        return {**document, key: _mutate(document[key], rest, replacement)}
    index = step % len(document)
    return [*document[:index], _mutate(document[index], rest, replacement), *document[index + 1 :]]


@given(
    fixture=st.sampled_from(SPEC_REQUESTS),
    path=st.lists(st.integers(min_value=0, max_value=50), min_size=1, max_size=6),
    replacement=json_values,
)
@settings(max_examples=500)
def test_mutated_spec_requests_only_raise_invalid_request(
    fixture: Path, path: list[int], replacement: Any
) -> None:
    document = _mutate(json.loads(fixture.read_bytes()), path, replacement)
    assert_good_reason(rejection(decode_request, json.dumps(document).encode()))


compat_ext = st.dictionaries(
    st.sampled_from(["gdpr", "us_privacy", "consent", "eids", "schain", "other"]),
    json_scalars
    | st.lists(
        st.dictionaries(st.sampled_from(["source", "uids", "ext", "mm", "nodes"]), json_values),
        max_size=3,
    )
    | st.dictionaries(st.sampled_from(["complete", "nodes", "ver", "ext"]), json_values),
    max_size=4,
)


@given(regs_ext=compat_ext, user_ext=compat_ext, source_ext=compat_ext)
def test_normalize_never_raises(
    regs_ext: dict[str, Any], user_ext: dict[str, Any], source_ext: dict[str, Any]
) -> None:
    snapshot = msgspec.json.encode([regs_ext, user_ext, source_ext])
    req = BidRequest(
        id="r",
        imp=[Imp(id="1")],
        regs=Regs(ext=regs_ext),
        user=User(ext=user_ext),
        source=Source(ext=source_ext),
    )
    normalize(req)
    assert msgspec.json.encode([regs_ext, user_ext, source_ext]) == snapshot  # ext untouched
    # what was promoted re-encodes and decodes as a valid request
    again = decode_request(encode_request(req), compat=False)
    assert again == req
