"""The bid path's view of line items and creatives: flat, precomputed, integer micros."""

from collections.abc import Iterable

import msgspec

from openbid.catalog.model import MediaType

MTYPE = {MediaType.BANNER: 1, MediaType.VIDEO: 2, MediaType.AUDIO: 3, MediaType.NATIVE: 4}


def category_closure(categories: Iterable[str]) -> frozenset[str]:
    """Each IAB category with its tier-1 parent, so that blocking ``IAB8`` blocks ``IAB8-5``."""
    closure = set()
    for category in categories:
        closure.add(category)
        closure.add(category.partition("-")[0])
    return frozenset(closure)


class CompiledCreative(msgspec.Struct, frozen=True, gc=False):
    """A creative with the sets an impression is checked against."""

    id: str
    type: MediaType
    mtype: int
    adm: str
    serve_on_win: bool
    w: int | None
    h: int | None
    duration: int | None
    mimes: frozenset[str]
    protocols: frozenset[int]
    adomain: list[str]
    adomain_set: frozenset[str]
    cat: list[str]
    cat_closure: frozenset[str]
    attr: list[int]
    attr_set: frozenset[int]
    bundle: str | None


class CompiledLineItem(msgspec.Struct, frozen=True, gc=False):
    """A line item as the bid path sees it; ``bit`` is its position in every targeting bitset."""

    bit: int
    id: str
    campaign_id: str
    advertiser_id: str
    seat: str
    cpm_micros: int
    max_price_micros: int
    creatives: tuple[CompiledCreative, ...]
    deal_prices: dict[str, int | None]  # deal id -> fixed price micros, None for a floor deal
    start: float | None
    end: float | None

    def in_flight(self, now: float) -> bool:
        """Whether wall-clock ``now`` (epoch seconds) is inside the line item's flight."""
        return (self.start is None or now >= self.start) and (self.end is None or now < self.end)
