"""Property tests: the compiled index returns exactly the line items a naive rule-by-rule
evaluation returns, and the bidder only ever bids with a line item whose every rule holds.

The naive evaluator below reads the raw request and the catalog's plain data on its own, rule by
rule, with no posting lists, grids or caches: it is the specification the index must meet.
"""

import math
import re
import time
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from openbid.bidder.config import BidderConfig
from openbid.bidder.pipeline import Bidder
from openbid.bidder.snapshot import compile_catalog
from openbid.catalog.load import parse_catalog
from openbid.exchange.validate import bid_response_problems
from openbid.notices.signing import SigningKeys
from openbid.openrtb.codec import decode_response
from openbid.openrtb.model import BidRequest, Geo, Imp
from openbid.targeting.features import banner_sizes, request_features
from openbid.targeting.normalize import domain_suffixes, normalize_domain

DOMAINS = ["a.example", "b.example", "news.a.example", "c.example"]
BUNDLES = ["com.one", "com.two", "com.three"]
COUNTRIES = ["USA", "CAN", "FRA", "DEU"]
ALPHA2 = {"USA": "US", "CAN": "CA", "FRA": "FR", "DEU": "DE"}
DEVICE_TYPES = [1, 2, 3, 4]
SIZES = [(300, 250), (728, 90), (160, 600)]
DEALS = ["D1", "D2"]
SEATS = ["seat-x", "seat-y"]
PUBLISHERS = ["pub-1", "pub-2", "pub-3"]
CATEGORIES = ["IAB1", "IAB1-2", "IAB8", "IAB8-5", "IAB12"]
CATTAXES = [1, 7]
REGIONS = ["US-NY", "US-CA", "CA-ON", "FR-IDF"]
REQUEST_REGIONS = ["NY", "ca", "ON", "IDF", "US-CA"]
METROS = ["501", "803", "602"]
CITIES = ["New York", "Paris", "Toronto"]
REQUEST_CITIES = ["new york", "PARIS", "Toronto", "Springfield"]
CIRCLES = [(40.71, -74.0, 15), (40.71, -74.0, 60), (48.86, 2.35, 20), (0.0, 179.9, 30)]
POINTS = [(40.75, -73.99), (40.95, -74.3), (41.5, -74.5), (48.9, 2.3), (0.05, -179.95)]
OSES = ["iOS", "Android", "Windows"]
REQUEST_OSES = ["ios", "Android", "WINDOWS", "Linux"]
VERSIONS = ["10", "14", "14.2", "17", "17.4"]
REQUEST_VERSIONS = ["9.3", "10", "14.1.9", "14.2", "14.10", "16_3", "17.0", "17.5.1", "beta"]
MAKES = ["Apple", "Samsung", "Google"]
CONNECTIONS = [1, 2, 5, 6]
LANGUAGES = ["en", "fr", "de"]
REQUEST_LANGUAGES = ["en", "EN-gb", "fr-CA", "de", "pt-BR"]
SEGMENTS = ["dmp1:s1", "dmp1:s2", "dmp2:s1"]
EXCHANGES = ["exchange-a", "exchange-b"]
ZONES = ["UTC", "America/New_York", "Asia/Kolkata", "Europe/London"]
DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
FLIGHT_EDGES = ["2026-05-31T22:00:00Z", "2026-06-01T06:00:00Z", "2026-06-03T12:30:00Z"]
# Instants around a week (2026-06-01 is a Monday), some near the flight edges above.
NOWS = [
    datetime.fromisoformat(moment).timestamp()
    for moment in (
        "2026-05-31T21:59:59Z", "2026-05-31T22:00:00Z", "2026-06-01T05:45:00Z",
        "2026-06-01T06:00:00Z", "2026-06-02T18:20:00Z", "2026-06-03T12:30:00Z",
        "2026-06-05T23:10:00Z", "2026-06-06T04:00:00Z", "2026-06-07T23:50:00Z",
    )
]  # fmt: skip
EARTH_RADIUS_KM = 6371.0088


def _rule(values: list[Any]) -> st.SearchStrategy[dict[str, list[Any]]]:
    subsets = st.lists(st.sampled_from(values), max_size=2, unique=True)
    return st.fixed_dictionaries({"include": subsets, "exclude": subsets})


@st.composite
def _windows(draw: st.DrawFn) -> list[dict[str, Any]]:
    windows = []
    for _ in range(draw(st.integers(1, 2))):
        start, end = draw(st.sampled_from([(0, 24), (9, 17), (22, 2), (18, 24), (23, 1)]))
        windows.append(
            {
                "days": draw(st.lists(st.sampled_from(DAYS), max_size=3, unique=True)),
                "from": f"{start:02d}:00",
                "to": f"{end:02d}:00",
            }
        )
    return windows


@st.composite
def _radius(draw: st.DrawFn) -> dict[str, list[dict[str, float]]]:
    circles = st.lists(st.sampled_from(CIRCLES), max_size=2, unique=True)
    return {
        side: [{"lat": lat, "lon": lon, "radius_km": r} for lat, lon, r in draw(circles)]
        for side in ("include", "exclude")
    }


@st.composite
def _version_bounds(draw: st.DrawFn) -> dict[str, str]:
    low = draw(st.sampled_from([None, *VERSIONS]))
    highs = [v for v in VERSIONS if low is None or _num(v) >= _num(low)]
    high = draw(st.sampled_from([None, *highs]))
    return {k: v for k, v in (("min", low), ("max", high)) if v is not None}


@st.composite
def _schain_rule(draw: st.DrawFn) -> dict[str, Any]:
    limit = draw(st.sampled_from([None, 1, 2]))
    return {"complete": draw(st.booleans()), **({"max_nodes": limit} if limit else {})}


VALUE_RULES: dict[str, list[Any]] = {
    "site_domains": DOMAINS, "app_bundles": BUNDLES, "countries": COUNTRIES,
    "device_types": DEVICE_TYPES, "publishers": PUBLISHERS, "regions": REGIONS,
    "metros": METROS, "cities": CITIES, "os": OSES, "device_makes": MAKES,
    "connection_types": CONNECTIONS, "languages": LANGUAGES, "segments": SEGMENTS,
    "exchanges": EXCHANGES,
}  # fmt: skip
OTHER_RULES = ("inventory", "categories", "geo_radius", "os_version", "schain", "schedule")
SOME_RULES = st.integers(0, 3)
NO_RULE: dict[str, Any] = {
    **{name: {"include": [], "exclude": []} for name in (*VALUE_RULES, "geo_radius")},
    "inventory": [], "categories": {"include": [], "exclude": [], "cattax": 1},
    "os_version": {}, "schain": {"complete": False}, "schedule": [],
}  # fmt: skip


@st.composite
def _targeting(draw: st.DrawFn, rules: int) -> dict[str, Any]:
    """``rules`` dimensions restricted, the rest left open, as in real catalogs."""
    names = st.sampled_from([*VALUE_RULES, *OTHER_RULES])
    chosen = draw(st.sets(names, min_size=rules, max_size=rules))
    targeting = dict(NO_RULE)
    for name in chosen:
        if name in VALUE_RULES:
            targeting[name] = draw(_rule(VALUE_RULES[name]))
        elif name == "inventory":
            targeting[name] = draw(st.lists(st.sampled_from(["site", "app"]), unique=True))
        elif name == "categories":
            cattax = draw(st.sampled_from(CATTAXES))
            targeting[name] = {**draw(_rule(CATEGORIES)), "cattax": cattax}
        elif name == "geo_radius":
            targeting[name] = draw(_radius())
        elif name == "os_version":
            targeting[name] = draw(_version_bounds())
        elif name == "schain":
            targeting[name] = draw(_schain_rule())
        else:
            targeting[name] = draw(_windows())
    return targeting


def _num(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


@st.composite
def catalogs(draw: st.DrawFn, rules: st.SearchStrategy[int] = SOME_RULES) -> dict[str, Any]:
    """Random catalogs; ``rules`` says how many dimensions each line item restricts."""
    creatives = []
    for w, h in SIZES:
        for adv in ("adv-x", "adv-y"):
            creative = {
                "id": f"cr-{adv}-{w}x{h}", "advertiser_id": adv, "type": "banner", "w": w,
                "h": h, "cat": [draw(st.sampled_from(["IAB1", "IAB2-3", "IAB8-5"]))],
                "adm": "<div/>",
            }  # fmt: skip
            language = draw(st.sampled_from([None, "en", "fr"]))
            if language:
                creative["language"] = language
            creatives.append(creative)
    creatives += [
        {"id": f"cr-{adv}-video", "advertiser_id": adv, "type": "video", "duration": 15,
         "mimes": ["video/mp4"], "adm": "<VAST/>"}
        for adv in ("adv-x", "adv-y")
    ]  # fmt: skip
    line_items = []
    for n in range(draw(st.integers(1, 12))):
        adv = draw(st.sampled_from(["adv-x", "adv-y"]))
        own = [c["id"] for c in creatives if c["advertiser_id"] == adv]
        item: dict[str, Any] = {
            "id": f"li-{n}",
            "campaign_id": f"cmp-{adv}",
            "name": f"line item {n}",
            "bid": {"strategy": "fixed_cpm", "cpm": draw(st.sampled_from([0.5, 1, 2.5, 4]))},
            "creative_ids": draw(st.lists(st.sampled_from(own), min_size=1, unique=True)),
            "deal_ids": draw(st.lists(st.sampled_from(DEALS), max_size=1)),
            "targeting": draw(_targeting(draw(rules))),
        }
        zone = draw(st.sampled_from([None, *ZONES]))
        if zone:
            item["timezone"] = zone
        start = draw(st.sampled_from([None, None, None, *FLIGHT_EDGES]))
        end = None
        if start is not None:
            end = draw(st.sampled_from([None, *(e for e in FLIGHT_EDGES if e > start)]))
        item.update({k: v for k, v in (("start", start), ("end", end)) if v is not None})
        line_items.append(item)
    return {
        "advertisers": [
            {
                "id": "adv-x",
                "name": "X",
                "domains": ["x.example"],
                "seat": "seat-x",
                "timezone": draw(st.sampled_from(ZONES)),
            },
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


def _maybe(draw: st.DrawFn, values: list[Any]) -> Any:
    return draw(st.sampled_from([None, *values]))


@st.composite
def _geo(draw: st.DrawFn) -> dict[str, Any]:
    geo = {
        "country": _maybe(draw, COUNTRIES),
        "region": _maybe(draw, REQUEST_REGIONS),
        "metro": _maybe(draw, METROS),
        "city": _maybe(draw, REQUEST_CITIES),
    }
    point = _maybe(draw, POINTS)
    if point is not None:
        geo["lat"], geo["lon"] = point
    return {k: v for k, v in geo.items() if v is not None}


@st.composite
def _holder(draw: st.DrawFn) -> dict[str, Any]:
    """Fields a site and an app share: publisher, categories in a taxonomy, content."""
    holder: dict[str, Any] = {}
    if (publisher := _maybe(draw, PUBLISHERS)) is not None:
        holder["publisher"] = {"id": publisher}
    if draw(st.booleans()):
        holder["cattax"] = draw(st.sampled_from(CATTAXES))
    for field in ("cat", "sectioncat", "pagecat"):
        if draw(st.booleans()):
            holder[field] = draw(st.lists(st.sampled_from(CATEGORIES), max_size=2))
    if draw(st.booleans()):
        content: dict[str, Any] = {"cat": draw(st.lists(st.sampled_from(CATEGORIES), max_size=2))}
        if draw(st.booleans()):
            content["cattax"] = draw(st.sampled_from(CATTAXES))
        for field in ("language", "langb"):
            if (language := _maybe(draw, REQUEST_LANGUAGES)) is not None:
                content[field] = language
        holder["content"] = content
    return holder


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
        domain = draw(st.sampled_from([*DOMAINS, "www.a.example", "z.example"]))
        data["site"] = {"domain": domain, **draw(_holder())}
    elif draw(st.booleans()):
        data["app"] = {"bundle": draw(st.sampled_from([*BUNDLES, "com.other"])), **draw(_holder())}
    device: dict[str, Any] = {
        "devicetype": _maybe(draw, DEVICE_TYPES),
        "os": _maybe(draw, REQUEST_OSES),
        "osv": _maybe(draw, REQUEST_VERSIONS),
        "make": _maybe(draw, [m.upper() for m in MAKES]),
        "connectiontype": _maybe(draw, CONNECTIONS),
        "language": _maybe(draw, REQUEST_LANGUAGES),
        "langb": _maybe(draw, REQUEST_LANGUAGES),
    }
    if draw(st.booleans()):
        device["geo"] = draw(_geo())
    data["device"] = {k: v for k, v in device.items() if v is not None}
    user: dict[str, Any] = {}
    if draw(st.booleans()):
        user["geo"] = draw(_geo())
    if draw(st.booleans()):
        segments = draw(st.lists(st.sampled_from(SEGMENTS), max_size=3, unique=True))
        providers: dict[str, list[dict[str, str]]] = {}
        for key in segments:
            provider, _, segment = key.partition(":")
            providers.setdefault(provider, []).append({"id": segment})
        user["data"] = [{"id": p, "segment": s} for p, s in providers.items()]
    data["user"] = user
    if draw(st.booleans()):
        nodes = [
            {"asi": "a.example", "sid": str(n), "hp": 1} for n in range(draw(st.integers(0, 3)))
        ]
        data["source"] = {"schain": {"complete": draw(st.sampled_from([0, 1])), "ver": "1.0",
                                     "nodes": nodes}}  # fmt: skip
    for field in ("wseat", "bseat"):
        if draw(st.integers(0, 4)) == 0:
            data[field] = draw(st.lists(st.sampled_from(SEATS), min_size=1, unique=True))
    if draw(st.booleans()):
        data["bcat"] = draw(st.lists(st.sampled_from(["IAB1", "IAB2", "IAB8-5"]), max_size=2))
    if draw(st.integers(0, 3)) == 0:
        data["wlang"] = draw(st.lists(st.sampled_from(["en", "fr", "de"]), min_size=1, max_size=2))
    elif draw(st.integers(0, 3)) == 0:
        data["wlangb"] = draw(st.lists(st.sampled_from(["en-US", "fr-CA"]), min_size=1))
    return msgspec.convert(data, BidRequest)


# --------------------------------------------------------------------------------------------
# The naive evaluation: every rule read straight from the request
# --------------------------------------------------------------------------------------------


def _holds(rule: dict[str, list[Any]], values: list[Any]) -> bool:
    """The naive reading of an include/exclude rule."""
    if rule["include"] and not set(rule["include"]) & set(values):
        return False
    return not set(rule["exclude"]) & set(values)


def _geo_field(req: BidRequest, field: str) -> Any:
    for geo in (req.device.geo if req.device else None, req.user.geo if req.user else None):
        if geo is not None and getattr(geo, field):
            return getattr(geo, field)
    return None


def _point(req: BidRequest) -> tuple[float, float] | None:
    geos: list[Geo | None] = [req.device.geo if req.device else None]
    geos.append(req.user.geo if req.user else None)
    for geo in geos:
        if geo is not None and geo.lat is not None and geo.lon is not None:
            return geo.lat, geo.lon
    return None


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def _radius_holds(rule: dict[str, list[dict[str, float]]], req: BidRequest) -> bool:
    point = _point(req)

    def inside(circle: dict[str, float]) -> bool:
        return (
            point is not None and _km(point, (circle["lat"], circle["lon"])) <= circle["radius_km"]
        )

    if rule["include"] and not any(inside(c) for c in rule["include"]):
        return False
    return not any(inside(c) for c in rule["exclude"])


def _version(text: str) -> list[int] | None:
    numbers = []
    for piece in re.split("[._]", text):
        if not piece.isdigit():
            break
        numbers.append(int(piece))
    return numbers or None


def _version_holds(bounds: dict[str, str], osv: str | None) -> bool:
    if not bounds:
        return True
    version = _version(osv) if osv else None
    if version is None:
        return False
    if "min" in bounds:
        low = _num(bounds["min"])
        width = max(len(low), len(version))
        if version + [0] * (width - len(version)) < list(low) + [0] * (width - len(low)):
            return False
    if "max" in bounds:
        high = list(_num(bounds["max"]))
        cut = version[: len(high)]
        if cut + [0] * (len(high) - len(cut)) > high:
            return False
    return True


def _categories(req: BidRequest) -> list[tuple[int, str]]:
    holder = req.site or req.app
    found: list[tuple[int, str]] = []
    if holder is None:
        return found
    pairs = [(holder.cattax or 1, c) for c in [*(holder.cat or []), *(holder.sectioncat or [])]]
    pairs += [(holder.cattax or 1, c) for c in holder.pagecat or []]
    if holder.content is not None:
        pairs += [(holder.content.cattax or 1, c) for c in holder.content.cat or []]
    for cattax, category in pairs:
        found.append((cattax, category))
        if cattax == 1:
            found.append((cattax, category.split("-")[0]))
    return found


def _languages(req: BidRequest) -> list[str]:
    holder = req.site or req.app
    tags = [req.device.language, req.device.langb] if req.device else []
    if holder is not None and holder.content is not None:
        tags += [holder.content.language, holder.content.langb]
    return [tag.split("-")[0].lower() for tag in tags if tag]


def _in_schedule(windows: list[dict[str, Any]], zone: str, now: float) -> bool:
    if not windows:
        return True
    local = datetime.fromtimestamp(now, UTC).astimezone(ZoneInfo(zone))
    day, hour = DAYS[local.weekday()], local.hour
    yesterday = DAYS[(local.weekday() - 1) % 7]
    for window in windows:
        start, end = int(window["from"][:2]), int(window["to"][:2])
        days = window["days"] or DAYS
        if end > start and day in days and start <= hour < end:
            return True
        if end <= start and ((day in days and hour >= start) or (yesterday in days and hour < end)):
            return True
    return False


def _in_flight(item: dict[str, Any], now: float) -> bool:
    start = datetime.fromisoformat(item["start"]).timestamp() if "start" in item else -math.inf
    end = datetime.fromisoformat(item["end"]).timestamp() if "end" in item else math.inf
    return start <= now < end


def _rules_hold(
    item: dict[str, Any], catalog: dict[str, Any], req: BidRequest, exchange: str, now: float
) -> bool:
    rules = item["targeting"]
    inventory = "site" if req.site else "app" if req.app else None
    if rules["inventory"] and inventory not in rules["inventory"]:
        return False
    holder = req.site or req.app
    device = req.device
    assert device is not None
    domains = (
        list(domain_suffixes(normalize_domain(req.site.domain)))
        if req.site and req.site.domain
        else []
    )
    country = _geo_field(req, "country")
    region = _geo_field(req, "region")
    if region and "-" not in region:
        region = f"{ALPHA2[country]}-{region}" if country else None
    city = _geo_field(req, "city")
    segments = [
        f"{d.id}:{s.id}"
        for d in (req.user.data if req.user else None) or []
        for s in d.segment or []
    ]
    schain = req.source.schain if req.source else None
    publisher = holder.publisher.id if holder is not None and holder.publisher else None
    cattax = rules["categories"]["cattax"]
    both = ("include", "exclude")
    checks: list[tuple[dict[str, list[Any]], list[Any]]] = [
        (rules["site_domains"], domains),
        (rules["app_bundles"], [req.app.bundle] if req.app and req.app.bundle else []),
        (rules["countries"], [country] if country else []),
        (rules["device_types"], [device.devicetype] if device.devicetype is not None else []),
        (rules["publishers"], [publisher] if publisher else []),
        (
            {side: [(cattax, c) for c in rules["categories"][side]] for side in both},
            _categories(req),
        ),
        (rules["regions"], [region.upper()] if region else []),
        (rules["metros"], [m] if (m := _geo_field(req, "metro")) else []),
        (
            {side: [c.lower() for c in rules["cities"][side]] for side in both},
            [city.lower()] if city else [],
        ),
        (
            {side: [o.lower() for o in rules["os"][side]] for side in both},
            [device.os.lower()] if device.os else [],
        ),
        (
            {side: [o.lower() for o in rules["device_makes"][side]] for side in both},
            [device.make.lower()] if device.make else [],
        ),
        (rules["connection_types"], [device.connectiontype] if device.connectiontype else []),
        (rules["languages"], _languages(req)),
        (rules["segments"], segments),
        (rules["exchanges"], [exchange]),
    ]  # fmt: skip
    if not all(_holds(rule, values) for rule, values in checks):
        return False
    if not _radius_holds(rules["geo_radius"], req):
        return False
    if not _version_holds(rules["os_version"], device.osv):
        return False
    chain_rule = rules["schain"]
    if chain_rule["complete"] and (schain is None or schain.complete != 1):
        return False
    if "max_nodes" in chain_rule and (
        schain is None or len(schain.nodes or []) > chain_rule["max_nodes"]
    ):
        return False
    advertiser = next(a for a in catalog["advertisers"] if item["campaign_id"] == f"cmp-{a['id']}")
    zone = item.get("timezone") or advertiser.get("timezone", "UTC")
    return _in_flight(item, now) and _in_schedule(rules["schedule"], zone, now)


def _naive_eligible(
    item: dict[str, Any],
    catalog: dict[str, Any],
    req: BidRequest,
    imp: Imp,
    exchange: str,
    now: float,
) -> bool:
    if not _rules_hold(item, catalog, req, exchange, now):
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
@given(
    catalogs(),
    requests(),
    st.sampled_from(["default", *EXCHANGES]),
    st.lists(st.sampled_from(NOWS), min_size=1, max_size=3),
)
def test_index_matches_naive_evaluation(
    catalog: dict[str, Any], req: BidRequest, exchange: str, nows: list[float]
) -> None:
    index = compile_catalog(parse_catalog(catalog), "openbid").index
    by_id = {item["id"]: item for item in catalog["line_items"]}
    for now in nows:  # several instants against one index: its time cache must keep up
        mask = index.request_mask(request_features(req, exchange, now), req.wseat, req.bseat)
        for imp in req.imp:
            candidates = mask & index.imp_mask(imp)
            got = {li.id for li in index.line_items if candidates >> li.bit & 1}
            expected = {
                i
                for i, item in by_id.items()
                if _naive_eligible(item, catalog, req, imp, exchange, now)
            }
            assert got == expected


@settings(max_examples=300, deadline=None)
@given(
    catalogs(rules=st.just(1)),
    requests(),
    st.sampled_from(["default", *EXCHANGES]),
    st.sampled_from(NOWS),
)
def test_each_rule_alone_matches_naive_evaluation(
    catalog: dict[str, Any], req: BidRequest, exchange: str, now: float
) -> None:
    """One restricted dimension per line item: a rule's answer is rarely masked by another's."""
    index = compile_catalog(parse_catalog(catalog), "openbid").index
    mask = index.request_mask(request_features(req, exchange, now), None, None)
    got = {li.id for li in index.line_items if mask >> li.bit & 1}
    expected = {
        item["id"]
        for item in catalog["line_items"]
        if _rules_hold(item, catalog, req, exchange, now)
    }
    assert got == expected


@settings(max_examples=300, deadline=None)
@given(catalogs(), requests(), st.sampled_from(["default", *EXCHANGES]), st.sampled_from(NOWS))
def test_bids_only_with_line_items_whose_rules_all_hold(
    catalog: dict[str, Any], req: BidRequest, exchange: str, now: float
) -> None:
    config = BidderConfig(signing_keys=SigningKeys({"t": b"k" * 32}, "t"))
    bidder = Bidder(config, compile_catalog(parse_catalog(catalog), config.seat))
    decision = bidder.bid(req, time.monotonic() + 60, now=now, exchange=exchange)
    by_id = {item["id"]: item for item in catalog["line_items"]}
    creatives = {c["id"]: c for c in catalog["creatives"]}
    allowed = {t.split("-")[0].lower() for t in [*(req.wlang or []), *(req.wlangb or [])]}
    for choice in decision.choices:
        item = by_id[choice.line_item.id]
        assert _naive_eligible(item, catalog, req, choice.imp, exchange, now)
        assert choice.price_micros == round(item["bid"]["cpm"] * 1_000_000)
        if allowed:
            assert creatives[choice.creative.id].get("language") in allowed
    if decision.body is not None:
        assert bid_response_problems(req, decode_response(decision.body)) == []
