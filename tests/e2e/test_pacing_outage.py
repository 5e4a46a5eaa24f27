"""Redis killed mid-run and started again, empty: the four bidders sharing it answer every
request all along (no 5xx, no crash), bid only from their leases while it is gone, restore the
books when it is back, say they recovered, and the budget still holds."""

import json
import time
from pathlib import Path

import pytest
from pacing_harness import (
    MICROS,
    Fleet,
    Probe,
    RedisServer,
    catalog,
    pacing_show,
    profile,
    simulate,
    total,
    wait_until,
    write_json,
)

from openbid.pacing.setup import SETTLE_SECONDS

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

INSTANCES = 4
RATE = 100.0  # requests per second to each instance
DURATION = 30.0
BUDGET = 10  # USD at a 4.00 CPM: runs out after Redis is back
KILL_AT = 2.5  # USD spent when Redis is killed
OUTAGE = 5.0  # seconds Redis stays down
OVERSPEND_BOUND = 1.01
PREFIX = "outage"


def test_bidders_ride_out_a_redis_restart(tmp_path: Path) -> None:
    catalog_path = write_json(
        tmp_path / "catalog.json",
        catalog(
            [{"id": "cmp-outage", "budget": {"total": str(BUDGET)}}],
            [
                {
                    "id": "li-outage",
                    "campaign_id": "cmp-outage",
                    "bid": {"strategy": "fixed_cpm", "cpm": "4"},
                }
            ],
        ),
    )
    profile_path = write_json(tmp_path / "profile.json", profile(100_000))
    with RedisServer(tmp_path) as server:
        url = server.url
        extra = ["--exposure-seconds", "10"]
        with Fleet(INSTANCES, catalog_path, url, PREFIX, tmp_path, extra) as fleet:
            with Probe(url, [f"{PREFIX}:s:c:cmp-outage:t"], interval=0.05) as probe:
                urls = [b.bid_url for b in fleet.bidders]
                with simulate(urls, profile_path, rate=RATE, duration=DURATION) as runs:
                    assert wait_until(
                        lambda: probe.value_at(time.monotonic()) >= KILL_AT * MICROS, 20
                    )
                    killed = time.monotonic()
                    spent_before = probe.value_at(killed)
                    server.kill()
                    time.sleep(OUTAGE)
                    server.start()
                    restarted = time.monotonic()
                    reports = runs.reports()

            def recovered() -> bool:
                shown = pacing_show(url, PREFIX, as_json=True)
                instances = json.loads(shown.stdout)["instances"] if shown.returncode == 0 else []
                return len(instances) == INSTANCES and all(
                    i["state"] == "ok" and i["recoveries"] >= 1 for i in instances
                )

            assert wait_until(recovered, 10, step=0.5)
            exit_codes = fleet.stop()

    assert exit_codes == [0] * INSTANCES
    assert total(reports, "errors") == 0, [r["errors_by_status"] for r in reports]
    # While Redis was gone, and until it grants leases again (SETTLE_SECONDS after it came back
    # empty), only the leases already held could be spent: a couple of seconds' worth, far from
    # what bidding on every request over that time would have spent.
    first = next(at for at, values in probe.rows if values and values[0] > 0)
    rate = spent_before / (killed - first)  # micros per second before the outage
    blind = OUTAGE + SETTLE_SECONDS
    from_leases = probe.value_at(restarted + SETTLE_SECONDS - 0.1) - spent_before
    print(f"spent over {blind:.1f} s without new leases: {from_leases / rate:.2f} s of bidding")
    assert from_leases <= rate * blind * 0.6
    timeouts = total(reports, "timeouts")
    billed = total(reports, "by_campaign", "cmp-outage", "spend_usd")
    print(f"killed at {spent_before / MICROS:.3f}; budget {BUDGET} billed {billed:.4f}; "
          f"{timeouts:.0f} timeouts in {total(reports, 'requests'):.0f} requests")  # fmt: skip
    assert timeouts <= total(reports, "requests") * 0.005  # answered within tmax all along
    assert BUDGET * 0.97 <= billed <= BUDGET * OVERSPEND_BOUND
    assert probe.value_at(time.monotonic()) <= BUDGET * MICROS  # the books, restored
