"""The Redis ledger against a real Redis: several instances sharing budgets, notices deduped
across them, exposure, lapsed leases, a Redis that lost its data, last-slot claims, the
impression broadcast, and what `openbid pacing show` reads."""

import asyncio
import json
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import redis
from typer.testing import CliRunner

from openbid.cli import app
from openbid.pacing.allowance import Allowance
from openbid.pacing.ledger import (
    CapImpression,
    Charge,
    GenerationLost,
    LedgerUnavailable,
    NoticeEffect,
    SlotClaim,
)
from openbid.pacing.redis_ledger import RedisLedger
from openbid.pacing.rules import LineItemRules, Scope

from .redis_fixtures import REDIS_URL, drop_prefix, redis_prefix

__all__ = ["redis_prefix"]  # the fixture, used by name

DAY = "2026-06-01"
Impression = tuple[str, str, float, str, float]


def _ledger(prefix: str, instance: str, heard: list[Impression] | None = None, *,
            lease_seconds: float = 10.0, exposure_seconds: float = 120.0,
            settle_seconds: float = 0.0, url: str = REDIS_URL) -> RedisLedger:  # fmt: skip
    def sink(user: str, scope: str, at: float, bid_id: str, keep: float) -> None:
        if heard is not None:
            heard.append((user, scope, at, bid_id, keep))

    return RedisLedger(
        url, prefix, instance, sink, lease_seconds=lease_seconds,
        exposure_seconds=exposure_seconds, dedupe_seconds=3600, settle_seconds=settle_seconds,
    )  # fmt: skip


def _rules(total: int | None = None, campaign_total: int | None = None) -> LineItemRules:
    return LineItemRules(
        bit=0,
        id="li",
        campaign_id="cmp",
        timezone="UTC",
        scopes=(Scope("l:li", total, None, ()), Scope("c:cmp", campaign_total, None, ())),
        pace=None,
        max_cost=1000,
    )


async def _renew(ledger: RedisLedger, allowance: Allowance, *, release: bool = False) -> None:
    now = time.monotonic()
    (grant,) = await ledger.renew([allowance.renewal(DAY, now, release=release)])
    allowance.granted(grant, now, 10.0)


def _charge(second: int, spend: int, exposure: int) -> Charge:
    return Charge("li", "cmp", DAY, spend, second, exposure)


def _get(prefix: str, *parts: str) -> int:
    with redis.Redis.from_url(REDIS_URL) as client:
        return int(client.get(":".join((prefix, *parts))) or 0)


def run(test: Callable[[], Awaitable[None]]) -> None:
    """Run an async test body, bounded in time."""

    async def bounded() -> None:
        async with asyncio.timeout(30):
            await test()

    asyncio.run(bounded())


def test_instances_share_one_budget(redis_prefix: str) -> None:
    async def body() -> None:
        ledgers = [_ledger(redis_prefix, f"i{n}") for n in range(3)]
        allowances = [Allowance(_rules(total=20_000)) for _ in ledgers]
        for _ in range(3):
            for ledger, allowance in zip(ledgers, allowances, strict=True):
                allowance.starved = True  # ask for more every round
                await _renew(ledger, allowance)
        assert sum(a.balance for a in allowances) == 20_000
        assert _get(redis_prefix, "h", "l:li") == 20_000
        for ledger, allowance in zip(ledgers, allowances, strict=True):
            await _renew(ledger, allowance, release=True)
            await ledger.close()
        assert _get(redis_prefix, "h", "l:li") == 0

    run(body)


def test_notices_count_once_across_instances(redis_prefix: str) -> None:
    async def body() -> None:
        a, b = _ledger(redis_prefix, "a"), _ledger(redis_prefix, "b")
        allowance = Allowance(_rules(total=50_000, campaign_total=40_000))
        await _renew(a, allowance)
        second = int(time.time())
        assert allowance.commit(1000, second)
        assert allowance.commit(1000, second)
        await _renew(a, allowance)  # reported: 2,000 of exposure
        bill = NoticeEffect("bill:b1", _charge(second, 600, 1000))
        assert await a.apply([bill]) == [True]
        assert await b.apply([bill, bill]) == [False, False]
        assert await b.apply([NoticeEffect("loss:b2", _charge(second, 0, 1000))]) == [True]
        assert _get(redis_prefix, "s", "l:li", "t") == 600
        assert _get(redis_prefix, "s", "c:cmp", "d", DAY) == 600
        assert _get(redis_prefix, "h", "l:li") == allowance.balance
        assert _get(redis_prefix, "h", "c:cmp") == allowance.balance
        for ledger in (a, b):
            await ledger.close()

    run(body)


def test_a_replayed_report_counts_once(redis_prefix: str) -> None:
    async def body() -> None:
        ledger = _ledger(redis_prefix, "a")
        allowance = Allowance(_rules(total=50_000))
        await _renew(ledger, allowance)
        allowance.commit(1000, int(time.time()))
        renewal = allowance.renewal(DAY, 0.0)
        await ledger.renew([renewal])  # the answer never arrives
        replay = allowance.renewal(DAY, 0.1)
        assert replay.sequence == renewal.sequence
        await ledger.renew([replay])
        with redis.Redis.from_url(REDIS_URL, decode_responses=True) as client:
            exposure = client.hgetall(f"{redis_prefix}:x:li")
        assert sum(int(v) for v in exposure.values()) == 1000
        await ledger.close()

    run(body)


def test_exposure_and_dead_instances_leases_lapse(redis_prefix: str) -> None:
    async def body() -> None:
        dead = _ledger(redis_prefix, "dead", lease_seconds=0.3, exposure_seconds=1)
        alive = _ledger(redis_prefix, "alive", lease_seconds=10, exposure_seconds=1)
        lost = Allowance(_rules(total=10_000))
        await _renew(dead, lost)
        lost.commit(1000, int(time.time()))
        await _renew(dead, lost)  # 1,000 exposure + a fresh lease, then the instance dies
        assert _get(redis_prefix, "h", "l:li") == 9_000
        await asyncio.sleep(2.2)  # past its lease (0.6 s in Redis) and the exposure window
        survivor = Allowance(_rules(total=10_000))
        survivor.starved = True
        await _renew(alive, survivor)
        assert _get(redis_prefix, "h", "l:li") == survivor.balance == 10_000
        for ledger in (dead, alive):
            await ledger.close()

    run(body)


def test_a_redis_that_lost_its_data_is_restored(redis_prefix: str) -> None:
    async def body() -> None:
        ledger = _ledger(redis_prefix, "a", settle_seconds=1.0)
        allowance = Allowance(_rules(total=50_000))
        await asyncio.sleep(1.0)  # the first generation settles too
        await _renew(ledger, allowance)
        second = int(time.time())
        allowance.commit(2000, second)
        await ledger.apply([NoticeEffect("bill:1", _charge(second, 2000, 2000))])
        drop_prefix(REDIS_URL, redis_prefix)  # what a restart without persistence does
        with pytest.raises(GenerationLost):
            await _renew(ledger, allowance)
        assert await ledger.recover()
        await ledger.restore({("l:li", ""): 2000, ("c:cmp", ""): 2000}, [("li", "cmp", 6000)])
        assert _get(redis_prefix, "s", "l:li", "t") == 2000
        assert _get(redis_prefix, "h", "l:li") == 6000
        other = Allowance(_rules(total=50_000))
        await _renew(_ledger(redis_prefix, "b", settle_seconds=1.0), other)
        assert other.balance == 0  # no lease until every instance had time to restore
        assert not await ledger.recover()
        await ledger.close()

    run(body)


def test_an_unreachable_redis_is_unavailable_not_an_error() -> None:
    async def body() -> None:
        ledger = _ledger("nowhere", "a", url="redis://127.0.0.1:1/0")
        with pytest.raises(LedgerUnavailable):
            await ledger.apply([NoticeEffect("bill:1")])
        with pytest.raises(LedgerUnavailable):
            await ledger.publish({})
        await ledger.close()

    run(body)


def test_only_one_instance_holds_a_last_slot(redis_prefix: str) -> None:
    async def body() -> None:
        heard: list[Impression] = []
        a, b = _ledger(redis_prefix, "a", heard), _ledger(redis_prefix, "b")
        ready = asyncio.Event()
        listener = asyncio.create_task(a.listen(ready.set))
        await ready.wait()
        impression = CapImpression("u1", (("l:li", 3600),), "bid-1")
        assert await b.apply([NoticeEffect("imp:bid-1", impression=impression)]) == [True]
        claim = SlotClaim("u1", "l:li", ((2, 3600),))
        (mine,) = await a.claim([claim])
        (theirs,) = await b.claim([claim])
        assert mine.granted
        assert not theirs.granted
        assert [bid for _, bid in mine.impressions] == ["bid-1"]
        (again,) = await a.claim([claim])
        assert again.granted  # the holder may ask again
        capped = SlotClaim("u1", "l:li", ((1, 3600),))
        (refused,) = await b.claim([capped])
        assert not refused.granted
        for _ in range(100):
            if heard:
                break
            await asyncio.sleep(0.02)
        assert [(user, scope, bid) for user, scope, _, bid, _ in heard] == [("u1", "l:li", "bid-1")]
        listener.cancel()
        for ledger in (a, b):
            await ledger.close()

    run(body)


def test_a_new_listener_loads_the_histories(redis_prefix: str) -> None:
    async def body() -> None:
        writer = _ledger(redis_prefix, "w")
        impression = CapImpression("u9", (("c:cmp", 600),), "bid-9")
        await writer.apply([NoticeEffect("imp:bid-9", impression=impression)])
        heard: list[Impression] = []
        reader = _ledger(redis_prefix, "r", heard)
        ready = asyncio.Event()
        listener = asyncio.create_task(reader.listen(ready.set))
        await ready.wait()
        assert [(user, scope, bid) for user, scope, _, bid, _ in heard] == [
            ("u9", "c:cmp", "bid-9")
        ]
        listener.cancel()
        for ledger in (writer, reader):
            await ledger.close()

    run(body)


@pytest.mark.parametrize("seed", range(3))
def test_billed_spend_never_passes_the_budget_across_instances(
    redis_prefix: str, seed: int
) -> None:
    async def body() -> None:
        rng = random.Random(seed)
        budget = 60_000
        ledgers = [_ledger(redis_prefix, f"i{n}") for n in range(3)]
        allowances = [Allowance(_rules(campaign_total=budget)) for _ in ledgers]
        in_flight: list[tuple[int, int, int]] = []
        bid_id = 0
        for _ in range(1500):
            who = rng.randrange(3)
            action = rng.random()
            if action < 0.1:
                await _renew(ledgers[who], allowances[who])
            elif action < 0.6:
                cost = rng.randrange(500, 1001)
                if allowances[who].commit(cost, int(time.time())):
                    bid_id += 1
                    in_flight.append((bid_id, int(time.time()), cost))
            elif in_flight:
                done, second, cost = in_flight.pop(rng.randrange(len(in_flight)))
                kind = "bill" if rng.random() < 0.6 else "loss"
                spend = rng.randrange(cost + 1) if kind == "bill" else 0
                effect = NoticeEffect(f"{kind}:{done}", _charge(second, spend, cost))
                await ledgers[rng.randrange(3)].apply([effect])
            assert _get(redis_prefix, "s", "c:cmp", "t") <= budget
        assert _get(redis_prefix, "s", "c:cmp", "t") >= budget // 3
        for ledger in ledgers:
            await ledger.close()

    run(body)


def test_pacing_show_reads_what_instances_publish(redis_prefix: str) -> None:
    async def body() -> None:
        ledger = _ledger(redis_prefix, "bidder-1")
        state: dict[str, Any] = {
            "campaign": "cmp",
            "budget": {"total": 5_000_000, "daily": 1_000_000},
            "campaign_budget": {"total": None, "daily": None},
            "pacing": "even",
            "throttle": 0.4,
            "ledger": "ok",
            "day": DAY,
            "lease": {"allowance": 8000, "expires_in": 9.5, "available": 1},
            "plan": {"scope": "l:li", "now": 500_000},
        }
        health = {"state": "ok", "since": 1.0, "last_ok": 1.0, "last_error": "", "failures": 7,
                  "recoveries": 2}  # fmt: skip
        await ledger.publish({"health": health, "queued_notices": 0, "line_items": {"li": state}})
        await ledger.apply([NoticeEffect("bill:1", _charge(int(time.time()), 250_000, 0))])
        await ledger.close()

    run(body)
    result = CliRunner().invoke(
        app, ["pacing", "show", "--redis-url", REDIS_URL, "--redis-prefix", redis_prefix, "--json"]
    )
    assert result.exit_code == 0, result.output
    view = json.loads(result.output)
    (shown,) = view["instances"]
    assert (shown["instance"], shown["failures"], shown["recoveries"]) == ("bidder-1", 7, 2)
    (item,) = view["line_items"]
    assert (item["line_item"], item["spent_total"], item["spent_today"]) == ("li", 250_000, 250_000)
    assert (item["throttle_min"], item["leased"], item["plan_now"]) == (0.4, 8000, 500_000)
    table = CliRunner().invoke(
        app, ["pacing", "show", "--redis-url", REDIS_URL, "--redis-prefix", redis_prefix]
    )
    assert "bidder-1" in table.output
    assert "1970-01-01 00:00:01" in table.output  # since when the ledger is ok, in UTC
    assert "0.25" in table.output
    alone = CliRunner().invoke(app, ["pacing", "show"], env={"OPENBID_REDIS_URL": ""})
    assert "nothing shared to show" in alone.output
