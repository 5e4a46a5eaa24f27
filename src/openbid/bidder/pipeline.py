"""The bid pipeline: request in, bid response or no-bid reason out, within a deadline."""

import time

import msgspec

from openbid.bidder.config import BidderConfig
from openbid.bidder.reasons import STAGE_RANK, NoBid
from openbid.bidder.response import BidIds, encode_bid_response
from openbid.bidder.selection import Choice, RequestBlocks, select_for_imp
from openbid.bidder.snapshot import CatalogSnapshot
from openbid.notices.urls import NoticeUrls
from openbid.openrtb.model import BidRequest
from openbid.targeting.features import DEFAULT_EXCHANGE, request_features


class Decision(msgspec.Struct, frozen=True, gc=False):
    """What the bidder decided: the bid response's JSON with its choices, or why not."""

    body: bytes | None
    choices: list[Choice]
    reason: NoBid | None


class Bidder:
    """Answers bid requests against the current catalog snapshot, which can be swapped live."""

    def __init__(self, config: BidderConfig, snapshot: CatalogSnapshot | None = None) -> None:
        self.config = config
        self.snapshot = snapshot
        self._bid_ids = BidIds()
        self._notices = NoticeUrls(config.notice_base_url, config.signing_keys)
        self._margin = config.network_margin_ms / 1000

    def point_notices_at(self, base_url: str) -> None:
        """Put ``base_url`` in notice URLs from now on (e.g. once an ephemeral port is known)."""
        self._notices = NoticeUrls(base_url, self.config.signing_keys)

    def deadline(self, request: BidRequest, arrival: float) -> float:
        """Monotonic time by which the answer must leave: arrival + tmax - network margin."""
        tmax = request.tmax if request.tmax and request.tmax > 0 else self.config.default_tmax_ms
        return arrival + tmax / 1000 - self._margin

    def bid(
        self,
        request: BidRequest,
        deadline: float,
        now: float | None = None,
        exchange: str = DEFAULT_EXCHANGE,
    ) -> Decision:
        """Decide on every impression of ``request`` from ``exchange``; ``now`` (epoch seconds,
        the clock when None) is what flights and schedules are matched against."""
        snapshot = self.snapshot
        if snapshot is None:
            return Decision(None, [], NoBid.NOT_READY)
        if time.monotonic() >= deadline:
            return Decision(None, [], NoBid.DEADLINE)
        currencies = snapshot.currencies
        currency = currencies.choose(request.cur)
        if currency is None:
            return Decision(None, [], NoBid.CURRENCY_UNSUPPORTED)
        index = snapshot.index
        wall = time.time() if now is None else now
        features = request_features(request, exchange, wall)
        mask = index.request_mask(features, request.wseat, request.bseat)
        blocks = RequestBlocks(request)
        choices: list[Choice] = []
        reason = NoBid.NO_MATCHING_LINE_ITEM
        for imp in request.imp:
            candidates = mask & index.imp_mask(imp) if mask else 0
            outcome = select_for_imp(
                imp, candidates, index.line_items, blocks, currencies, currency
            )
            if isinstance(outcome, Choice):
                choices.append(outcome)
            elif STAGE_RANK[outcome] > STAGE_RANK[reason]:
                reason = outcome
        if time.monotonic() >= deadline:
            return Decision(None, [], NoBid.DEADLINE)
        if not choices:
            return Decision(None, [], reason)
        body = encode_bid_response(
            request.id,
            choices,
            snapshot.bid_fields,
            currency,
            self._bid_ids,
            self._notices,
            int(wall),
        )
        return Decision(body, choices, None)
