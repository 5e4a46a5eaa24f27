"""Leases on the in-process ledger: grants stay within every budget, exposure is held until the
bill or loss comes, and billed spend never passes a budget whatever the notices do."""

import asyncio
import random

import pytest

from openbid.bidder.response import BidIds
from openbid.pacing.allowance import Allowance
from openbid.pacing.ledger import Charge, NoticeEffect
from openbid.pacing.local_ledger import LocalLedger
from openbid.pacing.rules import LineItemRules, Scope

WINDOW = 120.0


class Clock:
    """Wall seconds that move when told."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def _rules(total: int | None = None, daily: int | None = None, campaign_total: int | None = None,
           max_cost: int = 1000) -> LineItemRules:  # fmt: skip
    return LineItemRules(
        bit=0,
        id="li",
        campaign_id="cmp",
        timezone="UTC",
        scopes=(Scope("l:li", total, daily, ()), Scope("c:cmp", campaign_total, None, ())),
        pace=None,
        max_cost=max_cost,
    )


def _ledger(clock: Clock) -> LocalLedger:
    return LocalLedger(lambda *_: None, WINDOW, 3600.0, clock)


def _renew(ledger: LocalLedger, allowance: Allowance, now: float = 0.0) -> None:
    (grant,) = asyncio.run(ledger.renew([allowance.renewal("2026-06-01", now)]))
    allowance.granted(grant, now, 10.0)


def _charge(second: int, spend: int, exposure: int) -> Charge:
    return Charge("li", "cmp", "2026-06-01", spend, second, exposure)


def test_grants_stop_at_the_tightest_budget() -> None:
    clock = Clock()
    ledger = _ledger(clock)
    allowance = Allowance(_rules(total=100_000, campaign_total=5_500))
    _renew(ledger, allowance)
    assert allowance.balance == 5_500  # the campaign's 5,500 is tighter than the wanted 8,000
    assert allowance.commit(5_000, int(clock.now))
    assert not allowance.commit(1_000, int(clock.now))  # 500 left: not one more impression
    _renew(ledger, allowance)
    assert allowance.balance == 500  # nothing more to grant: everything is held


def test_exposure_is_released_by_losses_and_bills_and_lapses() -> None:
    clock = Clock()
    ledger = _ledger(clock)
    allowance = Allowance(_rules(total=10_000))
    _renew(ledger, allowance)
    second = int(clock.now)
    for _ in range(8):
        assert allowance.commit(1000, second)
    _renew(ledger, allowance)  # reports 8 bids: 8,000 exposure, 2,000 granted back to 10,000
    assert ledger.held["l:li"] == 10_000
    won = NoticeEffect("bill:1", _charge(second, 700, 1000))
    lost = NoticeEffect("loss:2", _charge(second, 0, 1000))
    assert asyncio.run(ledger.apply([won, lost, won])) == [True, True, False]
    assert ledger.spent["l:li:t"] == 700
    assert ledger.held["l:li"] == 8_000
    clock.now += WINDOW + 1  # the other six bids were never billed
    _renew(ledger, allowance)
    assert ledger.held["l:li"] == allowance.balance
    assert ledger.spent["l:li:t"] + ledger.held["l:li"] <= 10_000


def test_a_report_sent_twice_counts_once() -> None:
    clock = Clock()
    ledger = _ledger(clock)
    allowance = Allowance(_rules(total=50_000))
    _renew(ledger, allowance)
    allowance.commit(1000, int(clock.now))
    renewal = allowance.renewal("2026-06-01", 0.0)
    asyncio.run(ledger.renew([renewal]))  # the answer was lost ...
    replay = allowance.renewal("2026-06-01", 0.1)  # ... so the same report goes again
    assert replay.sequence == renewal.sequence
    assert replay.consumed == renewal.consumed
    asyncio.run(ledger.renew([replay]))
    assert sum(ledger._exposure["li"].values()) == 1000


def test_giving_back_releases_everything() -> None:
    clock = Clock()
    ledger = _ledger(clock)
    allowance = Allowance(_rules(total=50_000))
    _renew(ledger, allowance)
    assert ledger.held["l:li"] == allowance.balance > 0
    (grant,) = asyncio.run(ledger.renew([allowance.renewal("2026-06-01", 1.0, release=True)]))
    assert grant.granted == 0
    assert ledger.held["l:li"] == 0


def test_lowered_budgets_take_allowance_back() -> None:
    clock = Clock()
    ledger = _ledger(clock)
    allowance = Allowance(_rules(total=50_000))
    _renew(ledger, allowance)
    assert allowance.balance == 8_000
    allowance.rules = _rules(total=3_000)
    _renew(ledger, allowance)
    assert allowance.balance == 3_000


def test_daily_budgets_count_the_day() -> None:
    clock = Clock()
    ledger = _ledger(clock)
    allowance = Allowance(_rules(daily=2_000))
    renewal = allowance.renewal("2026-06-01", 0.0)
    (grant,) = asyncio.run(ledger.renew([renewal]))
    allowance.granted(grant, 0.0, 10.0)
    assert allowance.commit(2_000, int(clock.now))
    asyncio.run(ledger.apply([NoticeEffect("bill:x", _charge(int(clock.now), 2_000, 2_000))]))
    _renew(ledger, allowance)
    assert allowance.balance == 0
    (next_day,) = asyncio.run(ledger.renew([allowance.renewal("2026-06-02", 1.0)]))
    assert next_day.granted == 2_000
    assert next_day.line_item_day == 0
    assert next_day.line_item_total == 2_000


@pytest.mark.parametrize("seed", range(20))
def test_billed_spend_never_passes_the_budget(seed: int) -> None:
    rng = random.Random(seed)
    clock = Clock()
    ledger = _ledger(clock)
    budget = rng.randrange(20_000, 200_000)
    allowance = Allowance(_rules(total=budget, max_cost=3000))
    in_flight: list[tuple[int, int, int]] = []  # (bid id, second, cost)
    bid_id = 0
    for _ in range(3000):
        action = rng.random()
        if action < 0.05:
            _renew(ledger, allowance)
        elif action < 0.6:
            cost = rng.randrange(500, 3001)
            if allowance.commit(cost, int(clock.now)):
                bid_id += 1
                in_flight.append((bid_id, int(clock.now), cost))
        elif in_flight:
            done, second, cost = in_flight.pop(rng.randrange(len(in_flight)))
            roll = rng.random()
            if clock.now - second >= WINDOW - 1:
                pass  # bills later than the exposure window are outside the bound
            elif roll < 0.5:  # billed, at most at its price, maybe twice
                effect = NoticeEffect(
                    f"bill:{done}", _charge(second, rng.randrange(cost + 1), cost)
                )
                asyncio.run(ledger.apply([effect] * rng.randrange(1, 3)))
            elif roll < 0.8:
                asyncio.run(ledger.apply([NoticeEffect(f"loss:{done}", _charge(second, 0, cost))]))
            # else: never heard of again
        clock.now += rng.random() * 0.5
        assert ledger.spent.get("l:li:t", 0) <= budget
    assert ledger.spent.get("l:li:t", 0) >= 0.5 * budget  # the budget did get spent


def test_notices_are_remembered_for_the_window_then_forgotten_as_time_passes() -> None:
    clock = Clock()
    ledger = _ledger(clock)  # remembers notices for 3600 s
    first = [NoticeEffect(f"bill:{n}") for n in range(1000)]
    assert asyncio.run(ledger.apply(first)) == [True] * 1000
    clock.now += 1800
    later = [NoticeEffect(f"bill:{n}") for n in range(1000, 1500)]
    assert asyncio.run(ledger.apply(later + first[:1])) == [True] * 500 + [False]
    clock.now += 1801  # the first thousand's time is over, the later five hundred's is not
    assert asyncio.run(ledger.apply([NoticeEffect("bill:x")])) == [True]
    assert len(ledger._seen) == 501, "forgotten keys are gone, not kept until a sweep"
    assert asyncio.run(ledger.apply(later[:1] + first[1:2])) == [False, True]


def test_notices_of_bid_ids_are_remembered_for_the_window_then_forgotten() -> None:
    clock = Clock()
    ledger = _ledger(clock)  # remembers notices for 3600 s
    ids = BidIds()
    notices = [
        NoticeEffect(f"{kind}:{ids.next()}") for kind in ("bill", "loss") for _ in range(5000)
    ]
    for start in range(0, len(notices), 1000):  # a thousand a minute, over ten minutes
        assert asyncio.run(ledger.apply(notices[start : start + 1000])) == [True] * 1000
        clock.now += 60
    assert asyncio.run(ledger.apply(notices[::7])) == [False] * len(notices[::7])
    clock.now += 3600 - 600 + 210  # the first 4,000's time is over, not that of the rest
    assert asyncio.run(ledger.apply(notices[3999:4001])) == [True, False]
    assert len(ledger._seen) == 6001
    clock.now += 600
    assert asyncio.run(ledger.apply(notices[5000:5001])) == [True]
    assert len(ledger._seen) == 2
