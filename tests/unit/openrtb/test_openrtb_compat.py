"""OpenRTB 2.5 requests: extension values promoted into their 2.6 fields."""

from __future__ import annotations

import copy
import json
from typing import Any

from openbid.openrtb import (
    EID,
    UID,
    BidRequest,
    Imp,
    Regs,
    Source,
    SupplyChain,
    SupplyChainNode,
    User,
    decode_request,
    encode_request,
    normalize,
)

SCHAIN = {"complete": 1, "ver": "1.0", "nodes": [{"asi": "ex.com", "sid": "p1", "hp": 1}]}
EIDS = [
    {"source": "liveramp.com", "uids": [{"id": "XY1", "atype": 3}]},
    {"source": "id5-sync.com", "uids": [{"id": "ID5*x", "atype": 1, "ext": {"linkType": 2}}]},
]


def request(**fields: Any) -> bytes:
    return json.dumps({"id": "r1", "imp": [{"id": "1"}], **fields}).encode()


def test_25_fields_promoted() -> None:
    regs_ext = {"gdpr": 1, "us_privacy": "1YNN"}
    user_ext = {"consent": "CPXx", "eids": EIDS}
    source_ext = {"schain": SCHAIN}
    req = decode_request(
        request(
            regs={"ext": regs_ext},
            user={"id": "u", "ext": user_ext},
            source={"tid": "t", "ext": source_ext},
        )
    )
    assert req.regs == Regs(gdpr=1, us_privacy="1YNN", ext=regs_ext)
    assert req.user is not None
    assert req.user.consent == "CPXx"
    assert req.user.eids == [
        EID(source="liveramp.com", uids=[UID(id="XY1", atype=3)]),
        EID(source="id5-sync.com", uids=[UID(id="ID5*x", atype=1, ext={"linkType": 2})]),
    ]
    assert req.source is not None
    assert req.source.schain == SupplyChain(
        complete=1, ver="1.0", nodes=[SupplyChainNode(asi="ex.com", sid="p1", hp=1)]
    )
    # the ext dicts are untouched
    assert req.regs.ext == regs_ext
    assert req.user.ext == user_ext
    assert req.source.ext == source_ext


def test_26_field_wins() -> None:
    req = decode_request(
        request(
            regs={"gdpr": 0, "us_privacy": "1---", "ext": {"gdpr": 1, "us_privacy": "1YYY"}},
            user={"consent": "NEW", "eids": [{"source": "a.com"}], "ext": {"consent": "OLD"}},
            source={"schain": {"complete": 0}, "ext": {"schain": SCHAIN}},
        )
    )
    assert req.regs is not None
    assert req.regs.gdpr == 0
    assert req.regs.us_privacy == "1---"
    assert req.user is not None
    assert req.user.consent == "NEW"
    assert req.user.eids == [EID(source="a.com")]
    assert req.source is not None
    assert req.source.schain == SupplyChain(complete=0)


def test_gdpr_zero_in_ext_is_promoted_as_zero() -> None:
    req = decode_request(request(regs={"ext": {"gdpr": 0}}))
    assert req.regs is not None
    assert req.regs.gdpr == 0


def test_bool_gdpr_becomes_int() -> None:
    req = decode_request(request(regs={"ext": {"gdpr": True}}))
    assert req.regs is not None
    assert req.regs.gdpr == 1
    assert type(req.regs.gdpr) is int


def test_malformed_extensions_are_ignored() -> None:
    req = decode_request(
        request(
            regs={"ext": {"gdpr": "yes", "us_privacy": 1}},
            user={
                "ext": {
                    "consent": {"v": 2},
                    "eids": [{"source": 5}, "nope", {"source": "ok.com", "uids": [{"id": "1"}]}],
                }
            },
            source={"ext": {"schain": {"nodes": "none"}}},
        )
    )
    assert req.regs == Regs(ext={"gdpr": "yes", "us_privacy": 1})
    assert req.user is not None
    assert req.user.consent is None
    assert req.user.eids == [EID(source="ok.com", uids=[UID(id="1")])]
    assert req.source is not None
    assert req.source.schain is None


def test_all_malformed_eids_leave_eids_absent() -> None:
    for eids in ([], [1, 2], "x", {"source": "a"}):
        req = decode_request(request(user={"ext": {"eids": eids}}))
        assert req.user is not None
        assert req.user.eids is None


def test_nothing_to_promote_is_untouched() -> None:
    body = request(
        regs={"coppa": 1, "ext": {"gpc": "1"}},
        user={"id": "u", "ext": {"other": 1}},
        source={"ext": {"omidpn": "x"}},
        device={"ua": "x"},
    )
    assert encode_request(decode_request(body)) == encode_request(
        decode_request(body, compat=False)
    )
    bare = BidRequest(id="r", imp=[Imp(id="1")])
    assert normalize(bare) is bare
    assert bare == BidRequest(id="r", imp=[Imp(id="1")])


def test_normalize_in_place_and_idempotent() -> None:
    req = BidRequest(
        id="r",
        imp=[Imp(id="1")],
        regs=Regs(ext={"gdpr": 1}),
        user=User(ext={"consent": "c", "eids": copy.deepcopy(EIDS)}),
        source=Source(ext={"schain": SCHAIN}),
    )
    once = normalize(req)
    assert once is req
    snapshot = copy.deepcopy(req)
    assert normalize(req) == snapshot
    assert req.regs is not None
    assert req.regs.gdpr == 1


def test_25_spec_example_reencodes_with_promoted_fields() -> None:
    body = request(regs={"ext": {"gdpr": 1}}, user={"ext": {"consent": "c"}})
    encoded = json.loads(encode_request(decode_request(body)))
    assert encoded["regs"] == {"gdpr": 1, "ext": {"gdpr": 1}}
    assert encoded["user"] == {"consent": "c", "ext": {"consent": "c"}}
