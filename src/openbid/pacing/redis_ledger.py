"""The Redis ledger: many bidder instances share budgets, notices and frequency caps.

Each change is one Lua script (:mod:`openbid.pacing.scripts`), batched per round trip. Every
call has a deadline; a Redis that does not answer in time is *unavailable* and the caller goes
on from what it holds. Keys (``PREFIX`` is ``--redis-prefix``)::

    PREFIX:gen                    generation: "<id>|<created ms>", gone if Redis lost its data
    PREFIX:s:<scope>:t            spent, total      (scope: l:<line item> or c:<campaign>)
    PREFIX:s:<scope>:d:<day>      spent on a local day
    PREFIX:h:<scope>              held: leases and exposure
    PREFIX:lease:<line item>      leases by instance: "<micros>|<expires ms>|<sequence>"
    PREFIX:x:<line item>          exposure by bid second
    PREFIX:dd:<kind>:<bid>        a notice already applied
    PREFIX:fc:<scope>:<user>      impressions of a user in a capped scope (sorted by time)
    PREFIX:fcl:<scope>:<user>     the instance holding the user's last slot in the scope
    PREFIX:inst:<instance>        an instance's pacing state, for `openbid pacing show`
    channel PREFIX:fc             impressions of capped line items, as they are recorded
"""

import asyncio
import json
import logging
import secrets
import time
from collections.abc import Callable, Sequence
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import NoScriptError, RedisError

from openbid.pacing import scripts
from openbid.pacing.ledger import (
    GenerationLost,
    Grant,
    LedgerUnavailable,
    NoticeEffect,
    Renewal,
    SlotClaim,
    SlotReply,
)
from openbid.pacing.local_ledger import ImpressionSink

log = logging.getLogger("openbid.pacing")

CALL_SECONDS = 1.0  # a ledger call not answered within this is given up
DAY_KEY_SECONDS = 8 * 86400  # daily spend is kept a week
STATUS_KEY_SECONDS = 15  # an instance's published state outlives it this long
LEDGER_LEASE_FACTOR = 2.0  # the ledger keeps a lease this many times longer than the instance
SLOT_LEASE_MS = 20_000  # the ledger's copy of a last-slot lease (instances keep theirs 10 s)
LISTEN_RETRY_SECONDS = 0.5
SCAN_COUNT = 1000
MAX_CAP_SECONDS = 30 * 86400


SCRIPT_NAMES = ("RENEW", "NOTICE", "CLAIM", "RESTORE_SPENT", "RESTORE_LEASE")


def _scripts_of(client: "aioredis.Redis") -> dict[str, Any]:
    return {name: client.register_script(getattr(scripts, name)) for name in SCRIPT_NAMES}


class RedisLedger:
    """Budgets and caps in Redis, shared by every instance that uses the same URL and prefix."""

    shared = True

    def __init__(
        self,
        url: str,
        prefix: str,
        instance: str,
        on_impression: ImpressionSink,
        *,
        lease_seconds: float,
        exposure_seconds: float,
        dedupe_seconds: float,
        settle_seconds: float,
    ) -> None:
        self.url = url
        self.prefix = prefix
        self.instance = instance
        self._on_impression = on_impression
        self._lease_ms = round(lease_seconds * LEDGER_LEASE_FACTOR * 1000)
        self._window = round(exposure_seconds)
        self._dedupe = round(dedupe_seconds)
        self._settle_ms = round(settle_seconds * 1000)
        self.generation: str | None = None
        self._client: aioredis.Redis | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._scripts: dict[str, Any] = {}

    # connections

    def _redis(self) -> "aioredis.Redis":
        """The client of the running event loop (a new one after the loop changed)."""
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            self._client = aioredis.Redis.from_url(
                self.url,
                decode_responses=True,
                socket_timeout=CALL_SECONDS,
                socket_connect_timeout=CALL_SECONDS,
                retry=Retry(NoBackoff(), 0),
            )
            self._loop = loop
            self._scripts = _scripts_of(self._client)
        return self._client

    def key(self, *parts: str) -> str:
        """A key under this ledger's prefix."""
        return ":".join((self.prefix, *parts))

    async def _call(self, name: str, calls: Sequence[tuple[list[str], list[Any]]]) -> list[Any]:
        """Run script ``name`` once per (keys, args), in one round trip; raises
        LedgerUnavailable, or GenerationLost when Redis does not hold this generation."""
        if self.generation is None:
            await self.recover()
        client = self._redis()
        script = self._scripts[name]
        generation = self.generation or ""
        try:
            async with asyncio.timeout(CALL_SECONDS):
                for attempt in (1, 2):
                    pipe = client.pipeline(transaction=False)
                    for keys, args in calls:
                        pipe.evalsha(
                            script.sha, len(keys) + 1, self.key("gen"), *keys, generation, *args
                        )
                    results = await pipe.execute(raise_on_error=False)
                    if attempt == 1 and any(isinstance(r, NoScriptError) for r in results):
                        await client.script_load(getattr(scripts, name))
                        continue
                    break
        except (RedisError, OSError, TimeoutError) as error:
            await self._reset()
            raise LedgerUnavailable(str(error) or type(error).__name__) from None
        for result in results:
            if isinstance(result, Exception):
                raise LedgerUnavailable(str(result))
            if result and result[0] in ("nogen", "gen"):
                raise GenerationLost
        return results

    async def _reset(self) -> None:
        """Drop every pooled connection: after a failure they may all be dead (Redis restarted),
        and the next call should not find out one at a time."""
        if self._client is not None:
            await self._client.connection_pool.disconnect()

    async def recover(self) -> bool:
        """Read (or start) the generation; True if it is not the one this instance wrote to."""
        fresh = f"{secrets.token_hex(6)}|{int(time.time() * 1000)}"
        try:
            async with asyncio.timeout(CALL_SECONDS):
                current = await self._redis().eval(scripts.HELLO, 1, self.key("gen"), fresh)
        except (RedisError, OSError, TimeoutError) as error:
            await self._reset()
            raise LedgerUnavailable(str(error) or type(error).__name__) from None
        lost = self.generation is not None and current != self.generation
        self.generation = str(current)
        return lost

    # budgets

    def _spent_keys(self, line_item: str, campaign: str, day: str) -> list[str]:
        return [
            self.key("s", f"l:{line_item}", "t"),
            self.key("s", f"l:{line_item}", "d", day),
            self.key("s", f"c:{campaign}", "t"),
            self.key("s", f"c:{campaign}", "d", day),
        ]

    async def renew(self, renewals: list[Renewal]) -> list[Grant]:
        """Apply the reports and grant what the budgets allow."""
        calls = []
        for r in renewals:
            b = r.budgets
            keys = [
                self.key("lease", r.line_item),
                self.key("x", r.line_item),
                self.key("h", f"l:{r.line_item}"),
                self.key("h", f"c:{r.campaign}"),
                *self._spent_keys(r.line_item, r.campaign, r.day),
            ]
            args: list[Any] = [
                self.instance,
                self._lease_ms,
                self._window,
                self._settle_ms,
                b.line_item_total,
                b.line_item_daily,
                b.campaign_total,
                b.campaign_daily,
                r.holding,
                r.want,
                r.min_grant,
                r.sequence,
            ]
            for second, amount in r.consumed:
                args += (second, amount)
            calls.append((keys, args))
        results = await self._call("RENEW", calls)
        return [Grant(*(int(value) for value in result[1:])) for result in results]

    async def apply(self, effects: list[NoticeEffect]) -> list[bool]:
        """Apply notices, each at most once across all instances."""
        calls = []
        for effect in effects:
            charge, impression = effect.charge, effect.impression
            line_item = charge.line_item if charge else ""
            campaign = charge.campaign if charge else ""
            keys = [
                self.key("dd", effect.dedupe),
                self.key("x", line_item),
                self.key("h", f"l:{line_item}"),
                self.key("h", f"c:{campaign}"),
                *self._spent_keys(line_item, campaign, charge.day if charge else "-"),
            ]
            args: list[Any] = [
                self._dedupe,
                charge.spend if charge else 0,
                charge.bid_second if charge else 0,
                charge.exposure if charge else 0,
                self._window,
                1 if campaign else 0,
                DAY_KEY_SECONDS,
                impression.user if impression else "",
                impression.bid_id if impression else "",
                self.key("fc"),
            ]
            if impression is not None:
                for scope, keep in impression.scopes:
                    keys.append(self.key("fc", scope, impression.user))
                    args += (scope, keep)
            calls.append((keys, args))
        results = await self._call("NOTICE", calls)
        return [result[0] == "ok" for result in results]

    # frequency caps

    async def claim(self, claims: list[SlotClaim]) -> list[SlotReply]:
        """Try to take the last slot of each claim; each reply carries the user's history."""
        calls = []
        for c in claims:
            keys = [self.key("fc", c.scope, c.user), self.key("fcl", c.scope, c.user)]
            args: list[Any] = [self.instance, SLOT_LEASE_MS]
            for maximum, seconds in c.rules:
                args += (maximum, seconds)
            calls.append((keys, args))
        results = await self._call("CLAIM", calls)
        replies = []
        for result in results:
            history = result[2:]
            impressions = tuple(
                (float(history[i + 1]) / 1000, str(history[i])) for i in range(0, len(history), 2)
            )
            replies.append(SlotReply(bool(int(result[1])), impressions))
        return replies

    async def _load_caps(self, client: "aioredis.Redis") -> int:
        """Read every capped user's impressions into this instance's view; how many keys."""
        pattern = self.key("fc", "*")
        loaded = 0
        async for key in client.scan_iter(match=pattern, count=SCAN_COUNT):
            scope, _, user = key[len(self.prefix) + 4 :].rpartition(":")
            history: list[Any] = await client.zrange(key, 0, -1, withscores=True)
            for bid_id, score in history:
                self._on_impression(user, scope, float(score) / 1000, str(bid_id), MAX_CAP_SECONDS)
            loaded += 1
        return loaded

    async def listen(self, ready: Callable[[], None]) -> None:
        """Follow impressions as instances record them; after every (re)subscription, reload
        the whole view, then call ``ready``."""
        while True:
            client = aioredis.Redis.from_url(
                self.url,
                decode_responses=True,
                socket_connect_timeout=CALL_SECONDS,
                retry=Retry(NoBackoff(), 0),
            )
            pubsub = client.pubsub()
            try:
                await pubsub.subscribe(self.key("fc"))
                loaded = await self._load_caps(client)
                log.info("frequency caps: %d user histories loaded", loaded)
                ready()
                while True:
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                    if message is not None:
                        self._heard(str(message["data"]))
            except (RedisError, OSError) as error:
                log.debug("impression channel lost: %s", error)
            finally:
                await pubsub.aclose()  # type: ignore[no-untyped-call]
                await client.aclose()
            await asyncio.sleep(LISTEN_RETRY_SECONDS)

    def _heard(self, data: str) -> None:
        user, scope, at_ms, bid_id, keep = data.split(" ")
        self._on_impression(user, scope, int(at_ms) / 1000, bid_id, float(keep))

    # restoring after a loss of data

    async def restore(
        self, spent: dict[tuple[str, str], int], leases: list[tuple[str, str, int]]
    ) -> None:
        """Write back this instance's charges and allowances into the new generation."""
        spent_calls: list[tuple[list[str], list[Any]]] = []
        for (scope, day), amount in spent.items():
            if day:
                spent_calls.append(([self.key("s", scope, "d", day)], [amount, DAY_KEY_SECONDS]))
            else:
                spent_calls.append(([self.key("s", scope, "t")], [amount, 0]))
        if spent_calls:
            await self._call("RESTORE_SPENT", spent_calls)
        lease_calls = [
            (
                [self.key("lease", li), self.key("h", f"l:{li}"), self.key("h", f"c:{cmp}")],
                [self.instance, self._lease_ms, amount],
            )
            for li, cmp, amount in leases
        ]
        if lease_calls:
            await self._call("RESTORE_LEASE", lease_calls)
        log.info("restored %d spend counters and %d leases", len(spent_calls), len(lease_calls))

    async def publish(self, status: dict[str, object]) -> None:
        """Publish this instance's pacing state (kept STATUS_KEY_SECONDS)."""
        document = json.dumps({"instance": self.instance, "at": time.time(), **status})
        try:
            async with asyncio.timeout(CALL_SECONDS):
                key = self.key("inst", self.instance)
                await self._redis().set(key, document, ex=STATUS_KEY_SECONDS)
        except (RedisError, OSError, TimeoutError) as error:
            raise LedgerUnavailable(str(error)) from None

    async def close(self) -> None:
        """Close the connections of this loop's client."""
        if self._client is not None and self._loop is asyncio.get_running_loop():
            await self._client.aclose()
        self._client = None
