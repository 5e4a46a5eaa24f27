"""Realistic event streams whose totals are known: what the event tests write and report on.

Auctions over a few exchanges, campaigns and line items; every bid may win (then be billed,
rendered and clicked at realistic rates) or lose; some requests are sampled no-bids and a few
notices are rejected. Half the notices leave campaign and exchange out, as a notice endpoint
that only has the signed URL would, so the report must find them through the bid.
"""

import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from openbid.events.build import Audience, EventBuilder, Origin
from openbid.events.schema import Deployment, Event, EventKind

EXCHANGES = ("adx", "rubicon", "default")
CAMPAIGNS = {
    "cmp-acme-spring": ("adv-acme", ("li-acme-display-us", "li-acme-video-us")),
    "cmp-kettle-deals": ("adv-kettle", ("li-kettle-deal",)),
    "cmp-fjord-ctv": ("adv-fjord", ("li-fjord-ctv-no", "li-fjord-ctv-se")),
}
START_US = 1_780_000_000_000_000  # 2026-05-28 20:26:40 UTC
WIN_RATE, RENDER_RATE, CTR, NOBID_SAMPLE = 0.3, 0.9, 0.05, 10


@dataclass
class Totals:
    """What a stream holds, per kind and per campaign."""

    kinds: Counter[str] = field(default_factory=Counter)
    by_campaign: dict[str, Counter[str]] = field(default_factory=dict)

    def add(self, event: Event, campaign: str) -> None:
        """Count one event of ``campaign`` (spend in CPM micros under ``spend``)."""
        self.kinds[event.kind] += 1
        tally = self.by_campaign.setdefault(campaign, Counter())
        tally[event.kind] += 1
        if event.kind is EventKind.BILL:
            tally["spend"] += event.clearing_price_micros or 0
            self.kinds["spend"] += event.clearing_price_micros or 0


class Clock:
    """A settable clock in nanoseconds for the builder."""

    def __init__(self, start_us: int) -> None:
        self.now_us = start_us

    def __call__(self) -> int:
        return self.now_us * 1000


def stream(
    auctions: int,
    seed: int = 7,
    start_us: int = START_US,
    spacing_us: int = 10_000_000,
    deployment: Deployment = Deployment.STABLE,
) -> tuple[list[Event], Totals]:
    """``auctions`` auctions ``spacing_us`` apart from ``start_us``; the events in time order."""
    rng = random.Random(seed)
    clock = Clock(start_us)
    builder = EventBuilder(Origin("1.2.3", deployment, "task-1"), clock)
    events: list[Event] = []
    totals = Totals()
    for n in range(auctions):
        clock.now_us = start_us + n * spacing_us
        for event, campaign in _auction(builder, rng, clock, n):
            events.append(event)
            totals.add(event, campaign)
    return events, totals


def _auction(
    builder: EventBuilder, rng: random.Random, clock: Clock, n: int
) -> Iterator[tuple[Event, str]]:
    exchange = rng.choice(EXCHANGES)
    audience = Audience(f"u{rng.randrange(500):04x}", rng.choice(("USA", "NOR")), None, 2, "iOS")
    if rng.random() < 0.4:
        if n % NOBID_SAMPLE == 0:
            yield (
                builder.nobid(
                    auction_id=f"a{n}",
                    exchange=exchange,
                    reason=rng.choice(("below_floor", "no_matching_line_item")),
                    sample_rate=NOBID_SAMPLE,
                    audience=audience,
                ),
                "",
            )
        return
    campaign = rng.choice(list(CAMPAIGNS))
    advertiser, line_items = CAMPAIGNS[campaign]
    line_item = rng.choice(line_items)
    price = rng.randrange(500_000, 20_000_000)
    bid = builder.bid(
        auction_id=f"a{n}",
        imp_id="1",
        bid_id=f"b{n}",
        exchange=exchange,
        line_item=line_item,
        campaign=campaign,
        advertiser=advertiser,
        creative=f"cr-{line_item}",
        price_micros=price,
        currency="USD",
        audience=audience,
    )
    yield bid, campaign
    full = rng.random() < 0.5  # does the notice carry campaign and exchange itself?

    def notice(kind: EventKind, clearing: int | None = None, loss: int | None = None) -> Event:
        return builder.notice(
            kind,
            auction_id=f"a{n}",
            imp_id="1",
            bid_id=f"b{n}",
            line_item=line_item,
            creative=f"cr-{line_item}",
            bid_price_micros=price,
            currency="USD",
            clearing_price_micros=clearing,
            loss_reason=loss,
            campaign=campaign if full else None,
            advertiser=advertiser if full else None,
            exchange=exchange if full else None,
        )

    clock.now_us += rng.randrange(50_000, 500_000)
    if rng.random() >= WIN_RATE:
        yield notice(EventKind.LOSS, loss=102), campaign
        return
    clearing = rng.randrange(price // 2, price + 1)
    yield notice(EventKind.WIN, clearing), campaign
    if rng.random() < 0.02:
        yield builder.rejected_notice("win", "duplicate", bid_id=f"b{n}"), campaign
    if rng.random() >= RENDER_RATE:
        return
    clock.now_us += rng.randrange(100_000, 2_000_000)
    yield notice(EventKind.BILL, clearing), campaign
    yield notice(EventKind.IMPRESSION, clearing), campaign
    if rng.random() < CTR:
        clock.now_us += rng.randrange(1_000_000, 20_000_000)
        yield notice(EventKind.CLICK, clearing), campaign
