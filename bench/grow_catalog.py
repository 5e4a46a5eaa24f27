"""Grows openbid's demo catalog to N line items with varied, realistic targeting.

The demo's advertisers, campaigns, creatives, deals and line items are kept; generated
advertisers (each with campaigns and banner, video and native creatives) and line items are
added. Targeting mixes country include/exclude lists, device types, site domain allow and deny
lists, app bundles, inventory kinds, flights and pauses, so that only a realistic fraction of
the line items is eligible for any one request (12-15% for ``bench/request.json``).

With ``--all-dimensions`` line items also restrict the other targeting dimensions (publishers,
content categories, region/metro/city, radius, OS and version, make, connection type,
language, user segments, exchange, supply chain, hour-of-week schedules), each on a realistic
share of line items. Without it the catalog is exactly what it was before those existed, so
``bench/bid_throughput.py`` figures stay comparable.

Run: ``python bench/grow_catalog.py --line-items 1000 --out /tmp/catalog.yaml``
"""

import argparse
import random
import sys
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

import yaml

from openbid.catalog.load import DEMO_CATALOG, parse_catalog
from openbid.catalog.model import Catalog
from openbid.openrtb.codec import decode_request
from openbid.targeting.features import request_features
from openbid.targeting.index import TargetingIndex

BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_REQUEST = BENCH_DIR / "request.json"
GENERATED_ADVERTISERS = 30
CAMPAIGNS_PER_ADVERTISER = 2
# Standard IAB display sizes, most common first.
BANNER_SIZES = [
    (300, 250),
    (728, 90),
    (320, 50),
    (160, 600),
    (300, 600),
    (970, 250),
    (320, 480),
    (468, 60),
    (336, 280),
    (970, 90),
]
BANNER_SIZE_WEIGHTS = [10, 7, 8, 3, 4, 2, 3, 1, 2, 1]
# Countries weighted roughly by how much a US-based DSP's line items target them.
COUNTRIES = [
    ("USA", 20),
    ("CAN", 4),
    ("GBR", 5),
    ("DEU", 4),
    ("FRA", 3),
    ("ESP", 2),
    ("ITA", 2),
    ("NLD", 2),
    ("SWE", 1),
    ("NOR", 1),
    ("DNK", 1),
    ("FIN", 1),
    ("AUS", 3),
    ("NZL", 1),
    ("JPN", 2),
    ("KOR", 1),
    ("BRA", 2),
    ("MEX", 2),
    ("ARG", 1),
    ("IND", 2),
    ("SGP", 1),
    ("ZAF", 1),
    ("IRL", 1),
    ("BEL", 1),
    ("CHE", 1),
    ("AUT", 1),
    ("POL", 1),
]
IAB_CATEGORIES = [
    "IAB1",
    "IAB2",
    "IAB3",
    "IAB5",
    "IAB8",
    "IAB9",
    "IAB13",
    "IAB17",
    "IAB19",
    "IAB20",
]
SITE_WORDS = [
    "news", "daily", "times", "post", "ledger", "herald", "sports", "tech", "recipes", "travel",
    "finance", "money", "weather", "auto", "garden", "health", "music", "movies", "games", "style",
    "home", "outdoor", "science", "city", "local", "world", "market", "review", "guide", "kids",
]  # fmt: skip
T = TypeVar("T")
TIMEZONES = ["America/New_York", "America/Chicago", "America/Los_Angeles", "Europe/London"]
US_STATES = ["NY", "NJ", "CA", "TX", "FL", "IL", "WA", "MA", "PA", "GA", "OH", "CO"]
DMA_CODES = ["501", "803", "602", "504", "511", "506", "618", "623", "807", "819"]
CITIES = ["New York", "Los Angeles", "Chicago", "Houston", "Boston", "Seattle", "London"]
# Circles around cities (lat, lon); radius targeting draws 1-3 of them.
CITY_CENTRES = [
    (40.7128, -74.006), (34.0522, -118.2437), (41.8781, -87.6298), (29.7604, -95.3698),
    (42.3601, -71.0589), (47.6062, -122.3321), (51.5074, -0.1278), (48.8566, 2.3522),
]  # fmt: skip
OS_FAMILIES = [["iOS", "Android"], ["iOS"], ["Android"], ["Windows", "macOS"], ["Windows"]]
LANGUAGES = [["en"], ["en", "es"], ["fr"], ["de"], ["es"]]
EXCHANGES = ["default", "exchange-a", "exchange-b", "exchange-c"]
BRAND_SAFETY = ["IAB25", "IAB26", "IAB7-39", "IAB8-18", "IAB9-9"]
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]
SCHEDULES = [
    [{"days": WEEKDAYS, "from": "07:00", "to": "20:00"}],
    [{"from": "18:00", "to": "24:00"}],
    [{"days": ["fri", "sat"], "from": "20:00", "to": "03:00"}],
    [{"days": ["sat", "sun"], "from": "08:00", "to": "22:00"}],
]


def _distinct(rng: random.Random, population: list[T], weights: list[int], k: int) -> list[T]:
    """``k`` distinct items drawn by weight."""
    chosen: list[T] = []
    while len(chosen) < k:
        pick = rng.choices(population, weights)[0]
        if pick not in chosen:
            chosen.append(pick)
    return chosen


def _load_demo() -> dict[str, Any]:
    """The demo catalog as plain data, exactly as its YAML file says."""
    text = resources.files("openbid.catalog").joinpath(DEMO_CATALOG).read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def _domain_pool(rng: random.Random, size: int) -> list[str]:
    """Plausible publisher domains, ``dailyledger.example`` (the benchmark site) among them."""
    domains = {"dailyledger.example"}
    while len(domains) < size:
        first, second = rng.sample(SITE_WORDS, 2)
        domains.add(f"{first}{second}{rng.choice(['', '24', 'hub', 'now', 'online'])}.example")
    return sorted(domains)


def _bundle_pool(rng: random.Random, size: int) -> list[str]:
    """Plausible app bundle ids, reverse-DNS and App Store style."""
    bundles: set[str] = set()
    while len(bundles) < size:
        first, second = rng.sample(SITE_WORDS, 2)
        if rng.random() < 0.7:
            bundles.add(f"com.{first}{second}.app")
        else:
            bundles.add(str(rng.randrange(300_000_000, 1_700_000_000)))
    return sorted(bundles)


def _generated_advertisers(rng: random.Random, data: dict[str, Any]) -> dict[str, list[str]]:
    """Add advertisers with campaigns and creatives; return each new campaign's creative ids."""
    pools: dict[str, list[str]] = {}
    for a in range(1, GENERATED_ADVERTISERS + 1):
        adv_id = f"adv-gen-{a:02d}"
        domain = f"brand{a:02d}.example"
        advertiser: dict[str, Any] = {
            "id": adv_id,
            "name": f"Generated brand {a:02d}",
            "domains": [domain],
            "timezone": rng.choice(TIMEZONES),
        }
        if rng.random() < 0.2:
            advertiser["seat"] = f"agency-{a % 4}"
        data["advertisers"].append(advertiser)
        category = rng.choice(IAB_CATEGORIES)
        sizes = _distinct(rng, BANNER_SIZES, BANNER_SIZE_WEIGHTS, rng.randint(2, 5))
        creatives: list[dict[str, Any]] = []
        for w, h in sizes:
            creatives.append(
                {
                    "id": f"cr-gen-{a:02d}-{w}x{h}",
                    "advertiser_id": adv_id,
                    "type": "banner",
                    "w": w,
                    "h": h,
                    "cat": [category],
                    "landing_url": f"https://{domain}/",
                    "adm": f'<a href="https://{domain}/"><img src="https://cdn.{domain}/'
                    f'{w}x{h}.jpg" width="{w}" height="{h}"></a>',
                }
            )
        if rng.random() < 0.4:
            creatives.append(
                {
                    "id": f"cr-gen-{a:02d}-video",
                    "advertiser_id": adv_id,
                    "type": "video",
                    "duration": rng.choice([15, 30]),
                    "mimes": ["video/mp4"],
                    "protocols": [2, 3, 5, 6],
                    "cat": [category],
                    "adm": f"<VAST version='3.0'><Ad id='gen-{a:02d}'/></VAST>",
                }
            )
        if rng.random() < 0.3:
            creatives.append(
                {
                    "id": f"cr-gen-{a:02d}-native",
                    "advertiser_id": adv_id,
                    "type": "native",
                    "cat": [category],
                    "adm": '{"native":{"ver":"1.2","assets":[]}}',
                }
            )
        data["creatives"].extend(creatives)
        for c in range(1, CAMPAIGNS_PER_ADVERTISER + 1):
            campaign_id = f"cmp-gen-{a:02d}-{c}"
            campaign: dict[str, Any] = {
                "id": campaign_id,
                "advertiser_id": adv_id,
                "name": f"Generated brand {a:02d}, campaign {c}",
            }
            if rng.random() < 0.6:
                campaign["budget"] = {"daily": rng.choice([100, 250, 500, 1000, 2500])}
            data["campaigns"].append(campaign)
            pools[campaign_id] = [cr["id"] for cr in creatives]
    return pools


def _demo_pools(data: dict[str, Any]) -> dict[str, list[str]]:
    """Each demo campaign's creatives: those its demo line items already use."""
    pools: dict[str, list[str]] = {}
    for item in data["line_items"]:
        pool = pools.setdefault(item["campaign_id"], [])
        pool.extend(cid for cid in item["creative_ids"] if cid not in pool)
    return pools


def _countries(rng: random.Random, k: int) -> list[str]:
    """``k`` distinct countries drawn by weight."""
    return _distinct(rng, [c for c, _ in COUNTRIES], [w for _, w in COUNTRIES], k)


def _targeting(rng: random.Random, domains: list[str], bundles: list[str]) -> dict[str, Any]:
    """One line item's targeting: a few dimensions restricted, most left open."""
    targeting: dict[str, Any] = {}
    roll = rng.random()
    inventory = None if roll < 0.25 else "site" if roll < 0.65 else "app" if roll < 0.95 else "both"
    if inventory == "both":
        targeting["inventory"] = ["site", "app"]
    elif inventory is not None:
        targeting["inventory"] = [inventory]

    roll = rng.random()
    if roll < 0.55:
        targeting["countries"] = {"include": _countries(rng, rng.randint(1, 4))}
    elif roll < 0.7:
        targeting["countries"] = {"exclude": _countries(rng, rng.randint(1, 3))}

    roll = rng.random()
    if roll < 0.3:
        targeting["device_types"] = {"include": rng.choice([[1, 4], [4], [1, 4, 5], [5]])}
    elif roll < 0.45:
        targeting["device_types"] = {"include": rng.choice([[2], [2, 5], [3, 7]])}
    elif roll < 0.55:
        targeting["device_types"] = {"exclude": [3, 7]}

    if inventory in (None, "site", "both"):
        roll = rng.random()
        if roll < 0.3:
            targeting["site_domains"] = {"include": rng.sample(domains, rng.randint(5, 40))}
        elif roll < 0.55:
            targeting["site_domains"] = {"exclude": rng.sample(domains, rng.randint(3, 30))}
    if inventory in (None, "app", "both"):
        roll = rng.random()
        if roll < 0.4:
            targeting["app_bundles"] = {"include": rng.sample(bundles, rng.randint(3, 25))}
        elif roll < 0.6:
            targeting["app_bundles"] = {"exclude": rng.sample(bundles, rng.randint(2, 15))}
    return targeting


def _cpm(rng: random.Random) -> float:
    """A CPM from a log-normal around $1.50, in whole cents."""
    return round(min(max(rng.lognormvariate(0.4, 0.8), 0.05), 40.0), 2)


class Names(NamedTuple):
    """What targeting lists and deal references are drawn from."""

    domains: list[str]
    bundles: list[str]
    deal_ids: list[str]
    publishers: tuple[str, ...] = ()  # these two only with all dimensions
    segments: tuple[str, ...] = ()


def _rule(rng: random.Random, include: float, exclude: float, pick: list[Any]) -> dict[str, Any]:
    """An include rule with probability ``include``, else an exclude rule with ``exclude``."""
    roll = rng.random()
    if roll < include:
        return {"include": pick}
    if roll < include + exclude:
        return {"exclude": pick}
    return {}


def _other_dimensions(rng: random.Random, names: Names) -> dict[str, Any]:
    """Rules on the dimensions beyond site/app/country/device, each on a share of line items."""
    some = rng.sample
    rules: dict[str, Any] = {
        "publishers": _rule(rng, 0.05, 0.1, some(names.publishers, rng.randint(2, 20))),
        "categories": _rule(rng, 0.12, 0.0, some(IAB_CATEGORIES, rng.randint(2, 4))),
        "regions": _rule(rng, 0.06, 0.03, [f"US-{s}" for s in some(US_STATES, rng.randint(1, 4))]),
        "metros": _rule(rng, 0.03, 0.0, some(DMA_CODES, rng.randint(1, 3))),
        "cities": _rule(rng, 0.02, 0.01, some(CITIES, rng.randint(1, 2))),
        "os": _rule(rng, 0.15, 0.02, rng.choice(OS_FAMILIES)),
        "device_makes": _rule(rng, 0.02, 0.03, rng.choice([["Huawei"], ["Apple"], ["Samsung"]])),
        "connection_types": _rule(rng, 0.05, 0.02, rng.choice([[1, 2], [2, 6, 7], [4, 5]])),
        "languages": _rule(rng, 0.1, 0.02, rng.choice(LANGUAGES)),
        "segments": _rule(rng, 0.15, 0.05, some(names.segments, rng.randint(1, 5))),
        "exchanges": _rule(rng, 0.04, 0.05, some(EXCHANGES, rng.randint(1, 2))),
    }
    if "categories" not in rules or rng.random() < 0.2:  # brand safety on top
        rules["categories"] = {**rules["categories"], "exclude": some(BRAND_SAFETY, 2)}
    if rng.random() < 0.06:
        circles = some(CITY_CENTRES, rng.randint(1, 3))
        side = "include" if rng.random() < 0.8 else "exclude"
        rules["geo_radius"] = {
            side: [
                {"lat": lat, "lon": lon, "radius_km": rng.choice([10, 25, 50])}
                for lat, lon in circles
            ]
        }
    if rng.random() < 0.08:
        rules["os_version"] = {"min": rng.choice(["10", "13", "14.5", "16"])}
    if rng.random() < 0.12:
        rules["schain"] = {"complete": True, **({"max_nodes": 3} if rng.random() < 0.3 else {})}
    if rng.random() < 0.1:
        rules["schedule"] = rng.choice(SCHEDULES)
    return {name: rule for name, rule in rules.items() if rule}


def _line_item(
    rng: random.Random,
    number: int,
    campaign_id: str,
    creatives: list[str],
    names: Names,
    all_dimensions: bool,
) -> dict[str, Any]:
    """One generated line item."""
    item: dict[str, Any] = {
        "id": f"li-gen-{number:05d}",
        "campaign_id": campaign_id,
        "name": f"Generated line item {number}",
        "bid": {"strategy": "fixed_cpm", "cpm": _cpm(rng)},
        "creative_ids": (
            list(creatives)  # the campaign's whole rotation
            if rng.random() < 0.5
            else rng.sample(creatives, rng.randint(1, min(3, len(creatives))))
        ),
    }
    targeting = _targeting(rng, names.domains, names.bundles)
    if all_dimensions:
        targeting.update(_other_dimensions(rng, names))
        if rng.random() < 0.03:
            item["timezone"] = rng.choice(TIMEZONES)
    if targeting:
        item["targeting"] = targeting
    if names.deal_ids and rng.random() < 0.04:
        item["deal_ids"] = [rng.choice(names.deal_ids)]
    roll = rng.random()
    if roll < 0.04:
        item["status"] = "paused"
    elif roll < 0.12:
        item["start"], item["end"] = "2025-03-01T00:00:00Z", "2025-09-30T23:59:59Z"  # ended
    elif roll < 0.3:
        item["start"], item["end"] = "2025-01-01T00:00:00Z", "2099-12-31T23:59:59Z"
    if rng.random() < 0.25:
        item["budget"] = {"daily": rng.choice([20, 50, 100, 200])}
    return item


def grow(line_items: int, seed: int = 2026, all_dimensions: bool = False) -> dict[str, Any]:
    """The demo catalog grown to ``line_items`` line items, as plain data (deterministic)."""
    data = _load_demo()
    demo_count = len(data["line_items"])
    if line_items < demo_count:
        raise ValueError(f"the demo catalog alone has {demo_count} line items")
    rng = random.Random(seed)
    names = Names(
        domains=_domain_pool(rng, 400),
        bundles=_bundle_pool(rng, 300),
        deal_ids=[deal["id"] for deal in data["deals"]],
    )
    if all_dimensions:  # drawn only then, so that the basic catalog stays exactly as it was
        names = names._replace(
            publishers=("pub-5531", *(f"pub-{rng.randrange(1000, 9999)}" for _ in range(199))),
            segments=tuple(f"dmp{rng.randint(1, 8)}:seg-{n}" for n in range(300)),
        )
    pools = _demo_pools(data)
    demo_campaigns = list(pools)
    pools.update(_generated_advertisers(rng, data))
    generated_campaigns = [c for c in pools if c not in demo_campaigns]
    for number in range(1, line_items - demo_count + 1):
        # Most line items belong to the generated brands; some extend the demo's campaigns.
        campaigns = demo_campaigns if rng.random() < 0.1 else generated_campaigns
        campaign_id = rng.choice(campaigns)
        data["line_items"].append(
            _line_item(rng, number, campaign_id, pools[campaign_id], names, all_dimensions)
        )
    return data


def eligible_line_items(catalog: Catalog, request_body: bytes) -> int:
    """How many line items openbid's targeting finds eligible for some impression of a request."""
    index = TargetingIndex(catalog, "openbid")
    request = decode_request(request_body)
    mask = index.request_mask(request_features(request), request.wseat, request.bseat)
    eligible = 0
    for imp in request.imp:
        eligible |= mask & index.imp_mask(imp)
    return eligible.bit_count()


def write_catalog(
    path: Path, line_items: int, seed: int = 2026, all_dimensions: bool = False
) -> Catalog:
    """Grow, validate with openbid's own loader, and write the catalog as YAML."""
    data = grow(line_items, seed, all_dimensions)
    catalog = parse_catalog(data, str(path))
    path.write_text(yaml.safe_dump(data, sort_keys=False, width=100), "utf-8")
    return catalog


def main() -> None:
    """Parse the command line, write the catalog, report its size and eligible share."""
    parser = argparse.ArgumentParser(description="Grow openbid's demo catalog for benchmarks.")
    parser.add_argument("--line-items", type=int, default=1000, help="total line items")
    parser.add_argument("--seed", type=int, default=2026, help="random seed (same seed, same file)")
    parser.add_argument("--out", type=Path, required=True, help="catalog file to write (YAML)")
    parser.add_argument(
        "--request", type=Path, default=DEFAULT_REQUEST, help="request to count eligible items for"
    )
    parser.add_argument(
        "--all-dimensions", action="store_true", help="also target every other dimension"
    )
    args = parser.parse_args()
    try:
        catalog = write_catalog(args.out, args.line_items, args.seed, args.all_dimensions)
    except ValueError as error:  # CatalogError is a ValueError too
        sys.exit(f"grow_catalog: {error}")
    eligible = eligible_line_items(catalog, args.request.read_bytes())
    total = len(catalog.line_items)
    print(
        f"wrote {args.out}: {total} line items, {eligible} ({eligible / total:.1%}) "
        f"eligible for {args.request.name}"
    )


if __name__ == "__main__":
    main()
