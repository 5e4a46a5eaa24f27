"""What ``openbid pacing show`` reads from Redis: each instance's published state and the spend
counters, merged per line item."""

import json
from typing import Any

import msgspec
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

CALL_SECONDS = 2.0


class InstanceView(msgspec.Struct):
    """One bidder instance as it last published itself."""

    instance: str
    at: float
    state: str
    since: float
    queued_notices: int
    failures: int  # ledger calls that failed
    recoveries: int  # times the ledger came back after being unreachable


class LineItemView(msgspec.Struct):
    """One line item across the instances: budgets, spend, plan, throttle and leases (micros)."""

    line_item: str
    campaign: str
    pacing: str
    budget_total: int | None
    budget_daily: int | None
    campaign_total: int | None
    campaign_daily: int | None
    day: str | None
    spent_today: int | None
    spent_total: int
    plan_now: int | None
    throttle_min: float
    throttle_max: float
    leased: int  # allowances held, all instances
    leases: int  # instances holding one


class PacingView(msgspec.Struct):
    """Everything ``openbid pacing show`` prints."""

    instances: list[InstanceView]
    line_items: list[LineItemView]


def _merge(line_item: str, states: list[dict[str, Any]], spent: dict[str, int]) -> LineItemView:
    first = states[0]
    day = next((s["day"] for s in states if s.get("day")), None)
    throttles = [float(s.get("throttle", 1.0)) for s in states]
    leases = [s["lease"]["allowance"] for s in states if s.get("lease")]
    plans = [s["plan"]["now"] for s in states if s.get("plan")]
    return LineItemView(
        line_item=line_item,
        campaign=first.get("campaign", ""),
        pacing=first.get("pacing", "asap"),
        budget_total=first["budget"]["total"],
        budget_daily=first["budget"]["daily"],
        campaign_total=first["campaign_budget"]["total"],
        campaign_daily=first["campaign_budget"]["daily"],
        day=day,
        spent_today=spent.get("day") if day else None,
        spent_total=spent.get("total", 0),
        plan_now=max(plans) if plans else None,
        throttle_min=min(throttles),
        throttle_max=max(throttles),
        leased=sum(leases),
        leases=sum(1 for amount in leases if amount > 0),
    )


def read_pacing(url: str, prefix: str) -> PacingView:
    """Read the published state of every live instance under ``prefix``; raises RedisError."""
    client = redis.Redis.from_url(
        url,
        decode_responses=True,
        socket_timeout=CALL_SECONDS,
        socket_connect_timeout=CALL_SECONDS,
        retry=Retry(NoBackoff(), 0),
    )
    with client:
        names = sorted(client.scan_iter(match=f"{prefix}:inst:*"))
        documents = [json.loads(text) for text in client.mget(names) if text] if names else []
        instances = []
        by_line_item: dict[str, list[dict[str, Any]]] = {}
        for document in documents:
            health = document["health"]
            instances.append(
                InstanceView(
                    document["instance"],
                    document["at"],
                    health["state"],
                    health["since"],
                    document.get("queued_notices", 0),
                    health.get("failures", 0),
                    health.get("recoveries", 0),
                )
            )
            for line_item, state in document.get("line_items", {}).items():
                if state:
                    by_line_item.setdefault(line_item, []).append(state)
        line_items = []
        for line_item, states in sorted(by_line_item.items()):
            day = next((s["day"] for s in states if s.get("day")), None)
            total_key = f"{prefix}:s:l:{line_item}:t"
            keys = [total_key] + ([f"{prefix}:s:l:{line_item}:d:{day}"] if day else [])
            values = client.mget(keys)
            spent = {"total": int(values[0] or 0)}
            if day:
                spent["day"] = int(values[1] or 0)
            line_items.append(_merge(line_item, states, spent))
    return PacingView(instances, line_items)
