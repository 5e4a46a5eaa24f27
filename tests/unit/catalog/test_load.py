"""Catalog files: the demo loads, and every kind of mistake is named by its field path."""

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from openbid.catalog.errors import CatalogError
from openbid.catalog.load import load_catalog, parse_catalog, parse_catalog_text
from openbid.catalog.model import MediaType

BASE = json.loads((Path(__file__).parents[2] / "cases" / "base-catalog.json").read_text())
LINE_ITEM = {
    "id": "li-1",
    "campaign_id": "cmp-a",
    "name": "one",
    "bid": {"strategy": "fixed_cpm", "cpm": 1.25},
    "creative_ids": ["cr-a-300x250"],
}


def _catalog(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = copy.deepcopy(BASE)
    data["line_items"] = [copy.deepcopy(LINE_ITEM)]
    data.update(changes)
    return data


def _problems(data: dict[str, Any]) -> list[str]:
    with pytest.raises(CatalogError) as caught:
        parse_catalog(data)
    return caught.value.problems


def test_demo_catalog_covers_every_media_type_and_a_deal() -> None:
    catalog = load_catalog()
    assert len(catalog.line_items) == 20
    assert {c.type for c in catalog.creatives} == set(MediaType)
    assert any(item.deal_ids for item in catalog.line_items)


def test_yaml_and_json_files_load(tmp_path: Path) -> None:
    json_file = tmp_path / "c.json"
    json_file.write_text(json.dumps(_catalog()))
    yaml_file = tmp_path / "c.yaml"
    yaml_file.write_text("currency: USD\nadvertisers: []\n")
    assert load_catalog(json_file).line_items[0].id == "li-1"
    assert load_catalog(yaml_file).advertisers == []


def test_prices_become_exact_decimals() -> None:
    catalog = parse_catalog(_catalog())
    assert str(catalog.line_items[0].bid.cpm) == "1.25"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"bid": {"strategy": "fixed_cpm", "cpm": "lots"}},
            "line_items[0].bid.cpm: invalid decimal",
        ),
        ({"bid": {"strategy": "auction"}}, "line_items[0].bid.strategy: invalid value 'auction'"),
        ({"cmp": 1}, "line_items[0]: object contains unknown field `cmp`"),
        ({"creative_ids": "cr-a-300x250"}, "line_items[0].creative_ids: expected `array`"),
        ({"id": "has space"}, "line_items[0].id: expected `str` matching regex"),
        (
            {"targeting": {"countries": {"include": ["US"]}}},
            "line_items[0].targeting.countries.include[0]: expected `str` matching regex",
        ),
        (
            {"start": "2026-01-01T00:00:00"},
            "line_items[0].start: expected `datetime` with a timezone",
        ),
    ],
)
def test_type_errors_name_the_path(change: dict[str, Any], expected: str) -> None:
    data = _catalog()
    data["line_items"][0].update(change)
    problems = _problems(data)
    assert len(problems) == 1
    assert problems[0].startswith(expected), problems[0]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"campaign_id": "cmp-nope"}, "line_items[0].campaign_id: unknown campaign 'cmp-nope'"),
        ({"creative_ids": ["cr-x"]}, "line_items[0].creative_ids[0]: unknown creative 'cr-x'"),
        ({"creative_ids": []}, "line_items[0].creative_ids: a line item needs at least one"),
        (
            {"creative_ids": ["cr-b-300x250"]},
            "line_items[0].creative_ids[0]: creative 'cr-b-300x250' belongs to advertiser 'adv-b'",
        ),
        ({"deal_ids": ["NOPE"]}, "line_items[0].deal_ids[0]: unknown deal 'NOPE'"),
        ({"bid": {"strategy": "fixed_cpm", "cpm": 0}}, "line_items[0].bid.cpm: must be greater"),
        (
            {"bid": {"strategy": "fixed_cpm", "cpm": "1.0000001"}},
            "line_items[0].bid.cpm: at most 6 decimal places",
        ),
        (
            {"bid": {"strategy": "fixed_cpm", "cpm": 20000}},
            "line_items[0].bid.cpm: must be at most",
        ),
        (
            {"start": "2026-02-01T00:00:00Z", "end": "2026-01-01T00:00:00Z"},
            "line_items[0].end: must be after start",
        ),
        ({"budget": {"daily": -1}}, "line_items[0].budget.daily: must be a non-negative amount"),
    ],
)
def test_semantic_errors_name_the_path(change: dict[str, Any], expected: str) -> None:
    data = _catalog()
    data["line_items"][0].update(change)
    problems = _problems(data)
    assert any(p.startswith(expected) for p in problems), problems


def test_every_problem_is_reported_at_once() -> None:
    data = _catalog()
    data["line_items"].append({**LINE_ITEM, "creative_ids": ["cr-x"]})
    data["creatives"].append({**data["creatives"][0], "type": "banner", "w": None, "adm": ""})
    data["advertisers"][0]["timezone"] = "Mars/Olympus"
    problems = _problems(data)
    assert "line_items[1].id: duplicate id 'li-1'" in problems
    assert "line_items[1].creative_ids[0]: unknown creative 'cr-x'" in problems
    assert "creatives[7].id: duplicate id 'cr-a-300x250'" in problems
    assert "creatives[7]: a banner creative needs `w` and `h`" in problems
    assert "advertisers[0].timezone: unknown time zone 'Mars/Olympus'" in problems


def test_video_creative_needs_duration_and_mimes() -> None:
    data = _catalog()
    data["creatives"].append(
        {"id": "cr-v", "advertiser_id": "adv-a", "type": "video", "adm": "<VAST/>"}
    )
    problems = _problems(data)
    assert "creatives[7].duration: a video creative needs its duration" in problems
    assert "creatives[7].mimes: a video creative needs its MIME types" in problems


def test_currency_rates_are_checked() -> None:
    problems = _problems(_catalog(currency_rates={"EUR": 0, "USD": 2}))
    assert "currency_rates.EUR: a rate must be positive, got 0" in problems
    assert "currency_rates.USD: the catalog currency's own rate must be 1, got 2" in problems


def test_file_errors_are_catalog_errors(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="cannot read"):
        load_catalog(tmp_path / "missing.yaml")
    with pytest.raises(CatalogError, match="not valid YAML or JSON"):
        parse_catalog_text("line_items: [unclosed")
    with pytest.raises(CatalogError, match=r"\(top level\): expected `object`, got `array`"):
        parse_catalog_text("[1, 2]")


TARGETING_YAML = """
currency: USD
advertisers: [{id: adv-a, name: A, domains: [a.example], timezone: Europe/Paris}]
campaigns: [{id: cmp-a, advertiser_id: adv-a, name: C}]
creatives:
  - {id: cr-1, advertiser_id: adv-a, type: banner, w: 300, h: 250, language: fr, adm: "<div/>"}
line_items:
  - id: li-1
    campaign_id: cmp-a
    name: every new dimension
    bid: {strategy: fixed_cpm, cpm: 2.00}
    creative_ids: [cr-1]
    timezone: America/New_York
    targeting:
      publishers: {include: [pub-1]}
      categories: {cattax: 7, include: ["483"], exclude: ["JLBCU7"]}
      regions: {include: [US-NY, FR-IDF]}
      metros: {include: ["501"]}
      cities: {exclude: [Springfield]}
      geo_radius: {include: [{lat: 40.75, lon: -73.99, radius_km: 25}]}
      os: {include: [iOS, Android]}
      os_version: {min: "14", max: "17.4"}
      device_makes: {exclude: [Huawei]}
      connection_types: {include: [1, 2]}
      languages: {include: [en, fr]}
      segments: {include: ["dmp1:auto-intenders"]}
      exchanges: {exclude: [exchange-b]}
      schain: {complete: true, max_nodes: 3}
      schedule:
        - {days: [mon, tue, wed, thu, fri], from: "09:00", to: "17:00"}
        - {days: [sat], from: "22:00", to: "02:00"}
"""


def test_every_targeting_dimension_reads_from_yaml() -> None:
    catalog = parse_catalog_text(TARGETING_YAML)
    item = catalog.line_items[0]
    rules = item.targeting
    assert item.timezone == "America/New_York"
    assert catalog.creatives[0].language == "fr"
    assert (rules.categories.cattax, rules.categories.include) == (7, ["483"])
    assert rules.geo_radius.include[0].radius_km == 25
    assert (rules.os_version.min, rules.os_version.max) == ("14", "17.4")
    assert (rules.schain.complete, rules.schain.max_nodes) == (True, 3)
    assert [(w.from_, w.to, len(w.days)) for w in rules.schedule] == [
        ("09:00", "17:00", 5),
        ("22:00", "02:00", 1),
    ]


@pytest.mark.parametrize(
    ("targeting", "expected"),
    [
        (
            {"categories": {"include": ["Sports"]}},
            "line_items[0].targeting.categories.include[0]: 'Sports' is not an IAB 1.0 category",
        ),
        (
            {"categories": {"exclude": ["IAB8-x"]}},
            "line_items[0].targeting.categories.exclude[0]: 'IAB8-x' is not an IAB 1.0",
        ),
        (
            {"regions": {"include": ["NY"]}},
            "line_items[0].targeting.regions.include[0]: expected `str` matching regex",
        ),
        (
            {"geo_radius": {"include": [{"lat": 40, "lon": -74, "radius_km": 0}]}},
            "line_items[0].targeting.geo_radius.include[0].radius_km: expected `float` > 0",
        ),
        (
            {"geo_radius": {"exclude": [{"lat": 91, "lon": -74, "radius_km": 5}]}},
            "line_items[0].targeting.geo_radius.exclude[0].lat: expected `float` <= 90",
        ),
        (
            {"os_version": {"min": "fourteen"}},
            "line_items[0].targeting.os_version.min: expected a version like '14' or '10.3.1'",
        ),
        (
            {"os_version": {"min": "15", "max": "14.9"}},
            "line_items[0].targeting.os_version.max: '14.9' is below min '15'",
        ),
        (
            {"os_version": {"min": 14}},
            "line_items[0].targeting.os_version.min: expected `str | null`, got `int`",
        ),
        (
            {"segments": {"include": ["no-provider"]}},
            "line_items[0].targeting.segments.include[0]: expected `str` matching regex",
        ),
        (
            {"languages": {"include": ["english"]}},
            "line_items[0].targeting.languages.include[0]: expected `str` matching regex",
        ),
        (
            {"publishers": {"exclude": ["pub-1", " "]}},
            "line_items[0].targeting.publishers.exclude[1]: must not be blank",
        ),
        (
            {"schain": {"max_nodes": 0}},
            "line_items[0].targeting.schain.max_nodes: expected `int` >= 1",
        ),
        (
            {"schedule": [{"from": "09:30", "to": "17:00"}]},
            "line_items[0].targeting.schedule[0].from: the schedule is by the hour, got '09:30'",
        ),
        (
            {"schedule": [{"from": "09:00", "to": "25:00"}]},
            "line_items[0].targeting.schedule[0].to: expected `str` matching regex",
        ),
        (
            {"schedule": [{"from": "08:00", "to": "08:00"}]},
            "line_items[0].targeting.schedule[0].to: equal to from",
        ),
        (
            {"schedule": [{"from": "24:00", "to": "02:00"}]},
            "line_items[0].targeting.schedule[0].from: a window starts at 23:00 at the latest",
        ),
        (
            {"schedule": [{"days": ["monday"], "from": "09:00", "to": "17:00"}]},
            "line_items[0].targeting.schedule[0].days[0]: invalid enum value 'monday'",
        ),
    ],
)
def test_targeting_errors_name_the_path(targeting: dict[str, Any], expected: str) -> None:
    data = _catalog()
    data["line_items"][0]["targeting"] = targeting
    problems = _problems(data)
    assert len(problems) == 1, problems
    assert problems[0].startswith(expected), problems[0]


def test_other_taxonomies_take_any_category_id() -> None:
    data = _catalog()
    data["line_items"][0]["targeting"] = {"categories": {"cattax": 7, "include": ["483"]}}
    assert parse_catalog(data).line_items[0].targeting.categories.include == ["483"]


def test_whole_day_window_is_valid() -> None:
    data = _catalog()
    data["line_items"][0]["targeting"] = {"schedule": [{"from": "00:00", "to": "24:00"}]}
    assert parse_catalog(data).line_items[0].targeting.schedule[0].to == "24:00"


def test_line_item_time_zone_and_creative_language_are_checked() -> None:
    data = _catalog()
    data["line_items"][0]["timezone"] = "Mars/Olympus"
    assert _problems(data) == ["line_items[0].timezone: unknown time zone 'Mars/Olympus'"]
    data = _catalog()
    data["creatives"][0]["language"] = "english"
    assert _problems(data)[0].startswith("creatives[0].language: expected `str` matching regex")
