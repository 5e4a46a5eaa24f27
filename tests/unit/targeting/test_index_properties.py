"""Property tests: the compiled index returns exactly the line items a naive rule-by-rule
evaluation returns, and the bidder only ever bids with a line item whose every rule holds."""

import time
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from openbid.bidder.config import BidderConfig
from openbid.bidder.pipeline import Bidder
from openbid.bidder.snapshot import compile_catalog
from openbid.catalog.load import parse_catalog
from openbid.exchange.validate import bid_response_problems
from openbid.notices.signing import SigningKeys
from openbid.openrtb.codec import decode_response
from openbid.openrtb.model import BidRequest, Imp
from openbid.targeting.features import (
    banner_sizes,
    domain_suffixes,
    normalize_domain,
    request_features,
)

DOMAINS = ["a.example", "b.example", "news.a.example", "c.example"]
BUNDLES = ["com.one", "com.two", "com.three"]
COUNTRIES = ["USA", "CAN", "FRA", "DEU"]
DEVICE_TYPES = [1, 2, 3, 4]
SIZES = [(300, 250), (728, 90), (160, 600)]
DEALS = ["D1", "D2"]
SEATS = ["seat-x", "seat-y"]


def _rule(values: list[Any]) -> st.SearchStrategy[dict[str, list[Any]]]:
    subsets = st.lists(st.sampled_from(values), max_size=2, unique=True)
    return st.fixed_dictionaries({"include": subsets, "exclude": subsets})


@st.composite
def catalogs(draw: st.DrawFn) -> dict[str, Any]:
    creatives = []
    for w, h in SIZES:
        for adv in ("adv-x", "adv-y"):
            creatives.append(
                {"id": f"cr-{adv}-{w}x{h}", "advertiser_id": adv, "type": "banner", "w": w,
                 "h": h, "cat": [draw(st.sampled_from(["IAB1", "IAB2-3", "IAB8-5"]))],
                 "adm": "<div/>"}
            )  # fmt: skip
    creatives += [
        {"id": f"cr-{adv}-video", "advertiser_id": adv, "type": "video", "duration": 15,
         "mimes": ["video/mp4"], "adm": "<VAST/>"}
        for adv in ("adv-x", "adv-y")
    ]  # fmt: skip
    line_items = []
    for n in range(draw(st.integers(1, 12))):
        adv = draw(st.sampled_from(["adv-x", "adv-y"]))
        own = [c["id"] for c in creatives if c["advertiser_id"] == adv]
        line_items.append(
            {
                "id": f"li-{n}",
                "campaign_id": f"cmp-{adv}",
                "name": f"line item {n}",
                "bid": {"strategy": "fixed_cpm", "cpm": draw(st.sampled_from([0.5, 1, 2.5, 4]))},
                "creative_ids": draw(st.lists(st.sampled_from(own), min_size=1, unique=True)),
                "deal_ids": draw(st.lists(st.sampled_from(DEALS), max_size=1)),
                "targeting": {
                    "site_domains": draw(_rule(DOMAINS)),
                    "app_bundles": draw(_rule(BUNDLES)),
                    "countries": draw(_rule(COUNTRIES)),
                    "device_types": draw(_rule(DEVICE_TYPES)),
                    "inventory": draw(st.lists(st.sampled_from(["site", "app"]), unique=True)),
                },
            }
        )
    return {
        "advertisers": [
            {"id": "adv-x", "name": "X", "domains": ["x.example"], "seat": "seat-x"},
            {"id": "adv-y", "name": "Y", "domains": ["y.example"], "seat": "seat-y"},
        ],
        "campaigns": [
            {"id": "cmp-adv-x", "advertiser_id": "adv-x", "name": "X"},
            {"id": "cmp-adv-y", "advertiser_id": "adv-y", "name": "Y"},
        ],
        "creatives": creatives,
        "deals": [{"id": d} for d in DEALS],
        "line_items": line_items,
    }


@st.composite
def requests(draw: st.DrawFn) -> BidRequest:
    imps = []
    for n in range(draw(st.integers(1, 3))):
        imp: dict[str, Any] = {"id": str(n)}
        if draw(st.booleans()):
            sizes = draw(st.lists(st.sampled_from(SIZES), max_size=2, unique=True))
            imp["banner"] = {"format": [{"w": w, "h": h} for w, h in sizes]}
        if draw(st.booleans()):
            imp["video"] = {"mimes": ["video/mp4"]}
        if draw(st.booleans()):
            deals = draw(st.lists(st.sampled_from([*DEALS, "D-unknown"]), min_size=1, unique=True))
            imp["pmp"] = {
                "private_auction": draw(st.sampled_from([0, 1])),
                "deals": [{"id": d} for d in deals],
            }
        imp["bidfloor"] = draw(st.sampled_from([0, 1, 3]))
        imps.append(imp)
    data: dict[str, Any] = {"id": "r", "imp": imps}
    if draw(st.booleans()):
        data["site"] = {"domain": draw(st.sampled_from([*DOMAINS, "www.a.example", "z.example"]))}
    elif draw(st.booleans()):
        data["app"] = {"bundle": draw(st.sampled_from([*BUNDLES, "com.other"]))}
    device: dict[str, Any] = {}
    if draw(st.booleans()):
        device["devicetype"] = draw(st.sampled_from(DEVICE_TYPES))
    if draw(st.booleans()):
        device["geo"] = {"country": draw(st.sampled_from(COUNTRIES))}
    data["device"] = device
    for field in ("wseat", "bseat"):
        if draw(st.integers(0, 4)) == 0:
            data[field] = draw(st.lists(st.sampled_from(SEATS), min_size=1, unique=True))
    if draw(st.booleans()):
        data["bcat"] = draw(st.lists(st.sampled_from(["IAB1", "IAB2", "IAB8-5"]), max_size=2))
    import msgspec  # noqa: PLC0415

    return msgspec.convert(data, BidRequest)


def _holds(rule: dict[str, list[Any]], values: list[Any]) -> bool:
    """The naive reading of an include/exclude rule."""
    if rule["include"] and not set(rule["include"]) & set(values):
        return False
    return not set(rule["exclude"]) & set(values)


def _naive_eligible(
    item: dict[str, Any], catalog: dict[str, Any], req: BidRequest, imp: Imp
) -> bool:
    rules = item["targeting"]
    inventory = "site" if req.site else "app" if req.app else None
    if rules["inventory"] and inventory not in rules["inventory"]:
        return False
    domains = (
        list(domain_suffixes(normalize_domain(req.site.domain)))
        if req.site and req.site.domain
        else []
    )
    bundles = [req.app.bundle] if req.app and req.app.bundle else []
    device = req.device
    countries = [device.geo.country] if device and device.geo and device.geo.country else []
    types = [device.devicetype] if device and device.devicetype is not None else []
    if not all(
        _holds(rules[name], values)
        for name, values in (
            ("site_domains", domains),
            ("app_bundles", bundles),
            ("countries", countries),
            ("device_types", types),
        )
    ):
        return False
    seat = next(
        a["seat"] for a in catalog["advertisers"] if item["campaign_id"] == f"cmp-{a['id']}"
    )
    if (req.wseat and seat not in req.wseat) or (req.bseat and seat in req.bseat):
        return False
    creatives = [c for c in catalog["creatives"] if c["id"] in item["creative_ids"]]
    sizes = banner_sizes(imp)
    media_ok = any(
        (
            c["type"] == "banner"
            and imp.banner is not None
            and (not sizes or (c["w"], c["h"]) in sizes)
        )
        or (c["type"] == "video" and imp.video is not None)
        for c in creatives
    )
    if not media_ok:
        return False
    offered = {d.id for d in imp.pmp.deals or ()} if imp.pmp else set()
    if item["deal_ids"]:
        return bool(set(item["deal_ids"]) & offered)
    return not (imp.pmp and imp.pmp.private_auction == 1)


@settings(max_examples=300, deadline=None)
@given(catalogs(), requests())
def test_index_matches_naive_evaluation(catalog: dict[str, Any], req: BidRequest) -> None:
    snapshot = compile_catalog(parse_catalog(catalog), "openbid")
    index = snapshot.index
    mask = index.request_mask(request_features(req), req.wseat, req.bseat)
    by_id = {item["id"]: item for item in catalog["line_items"]}
    for imp in req.imp:
        candidates = mask & index.imp_mask(imp)
        got = {li.id for li in index.line_items if candidates >> li.bit & 1}
        expected = {i for i, item in by_id.items() if _naive_eligible(item, catalog, req, imp)}
        assert got == expected


@settings(max_examples=300, deadline=None)
@given(catalogs(), requests())
def test_bids_only_with_line_items_whose_rules_all_hold(
    catalog: dict[str, Any], req: BidRequest
) -> None:
    config = BidderConfig(signing_keys=SigningKeys({"t": b"k" * 32}, "t"))
    bidder = Bidder(config, compile_catalog(parse_catalog(catalog), config.seat))
    decision = bidder.bid(req, time.monotonic() + 60)
    by_id = {item["id"]: item for item in catalog["line_items"]}
    for choice in decision.choices:
        assert _naive_eligible(by_id[choice.line_item.id], catalog, req, choice.imp)
        cpm = by_id[choice.line_item.id]["bid"]["cpm"]
        assert choice.price_micros == round(cpm * 1_000_000)
    if decision.body is not None:
        assert bid_response_problems(req, decode_response(decision.body)) == []
