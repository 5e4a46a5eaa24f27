"""Four ``openbid serve`` processes on one Redis, each driven by its own exchange simulator:
a campaign budget that runs out mid-run is not overspent (measured on the exchange's side, as
billed), frequency caps hold across the instances, and ``openbid pacing show`` reads it all."""

import json
from pathlib import Path

import pytest
from pacing_harness import (
    MICROS,
    SHARED_REDIS_URL,
    Fleet,
    Probe,
    cap_counts,
    catalog,
    pacing_show,
    profile,
    read_int,
    shared_prefix,
    simulate,
    total,
    write_json,
)

__all__ = ["shared_prefix"]  # the fixture, used by name
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

INSTANCES = 4
RATE = 100.0  # requests per second to each instance
DURATION = 30.0
BUDGET = 6  # USD: at a 4.00 CPM, 1,500 impressions, spent in about half the run
CAP = 3  # impressions per user per day on the capped line item
USERS = 3000  # a pool small enough that many users reach the cap
OVERSPEND_BOUND = 1.01
# Wins that never render hold their price this long; short, so the budget can run out in the run.
EXPOSURE = ["--exposure-seconds", "10"]


def _catalog(path: Path) -> Path:
    fixed = {"strategy": "fixed_cpm", "cpm": "4"}
    return write_json(
        path,
        catalog(
            [{"id": "cmp-budget", "budget": {"total": str(BUDGET)}}, {"id": "cmp-capped"}],
            [
                {
                    "id": "li-budget",
                    "campaign_id": "cmp-budget",
                    "bid": fixed,
                    "targeting": {"inventory": ["site"]},
                },
                {
                    "id": "li-capped",
                    "campaign_id": "cmp-capped",
                    "bid": fixed,
                    "targeting": {"inventory": ["app"]},
                    "frequency_caps": [{"max": CAP, "per": "24h"}],
                },
            ],
        ),
    )


def test_four_instances_hold_the_budget_and_the_caps(shared_prefix: str, tmp_path: Path) -> None:
    prefix, url = shared_prefix, SHARED_REDIS_URL
    catalog_path = _catalog(tmp_path / "catalog.json")
    profile_path = write_json(tmp_path / "profile.json", profile(USERS))
    spent_key = f"{prefix}:s:c:cmp-budget:t"
    with Fleet(INSTANCES, catalog_path, url, prefix, tmp_path, EXPOSURE) as fleet:
        with Probe(url, [spent_key], interval=0.1) as probe:
            urls = [b.bid_url for b in fleet.bidders]
            with simulate(urls, profile_path, rate=RATE, duration=DURATION) as runs:
                reports = runs.reports()
        shown = pacing_show(url, prefix, as_json=True)
        table = pacing_show(url, prefix, as_json=False)
        exit_codes = fleet.stop()

    assert exit_codes == [0] * INSTANCES
    assert total(reports, "errors") == 0, [r["errors_by_status"] for r in reports]
    assert total(reports, "invalid_bids") == 0

    # Overspend, as the exchange billed it (every rendered impression at its clearing price).
    billed = total(reports, "by_campaign", "cmp-budget", "spend_usd")
    ledger = read_int(url, spent_key) / MICROS
    print(f"budget {BUDGET:.2f} billed {billed:.4f} ({billed / BUDGET:.4f}) ledger {ledger:.4f}")
    assert billed <= BUDGET * OVERSPEND_BOUND
    assert ledger <= BUDGET
    assert billed >= BUDGET * 0.97  # the budget was spent ...
    first = next(at for at, values in probe.rows if values and values[0] > 0)
    assert probe.value_at(first + DURATION * 0.6) >= BUDGET * MICROS * 0.95  # ... mid-run

    # Frequency caps, across the instances: no user saw the capped line item more than CAP times.
    counts = cap_counts(url, prefix, "l:li-capped")
    rendered = total(reports, "by_campaign", "cmp-capped", "impressions")
    at_cap = sum(1 for count in counts.values() if count == CAP)
    print(f"capped users {len(counts)} at cap {at_cap} max {max(counts.values())} cap {CAP}")
    assert max(counts.values()) <= CAP
    assert at_cap >= 50  # the cap was reached, often
    assert rendered * 0.99 <= sum(counts.values()) <= rendered  # the books saw the impressions

    # `openbid pacing show`, as JSON and as a table, on what the four instances published.
    assert shown.returncode == 0, shown.stderr
    view = json.loads(shown.stdout)
    assert sorted(i["instance"] for i in view["instances"]) == [
        f"bidder-{n}" for n in range(INSTANCES)
    ]
    assert {i["state"] for i in view["instances"]} == {"ok"}
    items = {item["line_item"]: item for item in view["line_items"]}
    assert items["li-budget"]["campaign_total"] == BUDGET * MICROS
    assert items["li-budget"]["spent_total"] <= BUDGET * MICROS
    assert items["li-capped"]["spent_total"] > 0
    assert table.returncode == 0, table.stderr
    for text in ("bidder-3", "li-budget", "li-capped", f"{BUDGET:.2f}"):
        assert text in table.stdout
