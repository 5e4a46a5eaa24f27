"""The bid pipeline: request in, bid response or no-bid reason out, within a deadline."""

import time

import msgspec

from openbid.bidder.config import BidderConfig
from openbid.bidder.reasons import STAGE_RANK, NoBid
from openbid.bidder.response import BidContext, BidIds, encode_bid_response
from openbid.bidder.selection import Choice, RequestBlocks, select_for_imp
from openbid.bidder.snapshot import CatalogSnapshot
from openbid.notices.urls import NoticeUrls
from openbid.openrtb.model import BidRequest
from openbid.pacing.rules import impression_cost
from openbid.pacing.state import PacingState
from openbid.pacing.userkey import user_key
from openbid.targeting.features import DEFAULT_EXCHANGE, request_features


class Decision(msgspec.Struct, frozen=True, gc=False):
    """What the bidder decided: the bid response's JSON with its choices, or why not; for the
    event log, each choice's bid id, the response currency and the hashed user key."""

    body: bytes | None
    choices: list[Choice]
    reason: NoBid | None
    bid_ids: list[str] = []
    currency: str = ""
    user: str | None = None


class Bidder:
    """Answers bid requests against the current catalog snapshot, which can be swapped live;
    with ``pacing``, budgets, pacing and frequency caps hold line items back."""

    def __init__(
        self,
        config: BidderConfig,
        snapshot: CatalogSnapshot | None = None,
        pacing: PacingState | None = None,
    ) -> None:
        self.config = config
        self.pacing = pacing
        self.snapshot: CatalogSnapshot | None = None
        if snapshot is not None:
            self.install(snapshot)
        self._bid_ids = BidIds()
        self._notices = NoticeUrls(config.notice_base_url, config.signing_keys)
        self._margin = config.network_margin_ms / 1000

    def install(self, snapshot: CatalogSnapshot) -> None:
        """Put ``snapshot`` in service (pacing follows its line items first, in the same step)."""
        if self.pacing is not None:
            self.pacing.bind(snapshot.pacing)
        self.snapshot = snapshot

    def point_notices_at(self, base_url: str) -> None:
        """Put ``base_url`` in notice URLs from now on (e.g. once an ephemeral port is known)."""
        self._notices = NoticeUrls(base_url, self.config.signing_keys)

    @property
    def notice_base(self) -> str:
        """The base URL notice and tracker URLs point at."""
        return self._notices.base

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
        pacing = self.pacing
        user = user_key(request)
        if pacing is not None and mask:
            mask = pacing.admit(mask, user)
            if not mask:
                return Decision(None, [], NoBid.HELD_BACK)
        blocks = RequestBlocks(request)
        choices: list[Choice] = []
        bid_ids: list[str] = []
        reason = NoBid.NO_MATCHING_LINE_ITEM
        issued_at = int(wall)
        for imp in request.imp:
            candidates = mask & index.imp_mask(imp) if mask else 0
            outcome = select_for_imp(
                imp, candidates, index.line_items, blocks, currencies, currency
            )
            if isinstance(outcome, Choice):
                bid_id = self._bid_ids.next()
                if pacing is not None:
                    bit = outcome.line_item.bit
                    base = currencies.base
                    price = currencies.convert(outcome.price_micros, currency, base, round_up=True)
                    if not pacing.commit(bit, impression_cost(price), issued_at, user, bid_id):
                        mask ^= mask & (1 << bit)  # its allowance ran out: not for later imps
                        continue
                choices.append(outcome)
                bid_ids.append(bid_id)
            elif STAGE_RANK[outcome] > STAGE_RANK[reason]:
                reason = outcome
        if time.monotonic() >= deadline:
            return Decision(None, [], NoBid.DEADLINE)
        if not choices:
            return Decision(None, [], reason, [], currency, user)
        context = BidContext(request.id, currency, issued_at, exchange, user)
        body = encode_bid_response(context, choices, bid_ids, snapshot.bid_fields, self._notices)
        return Decision(body, choices, None, bid_ids, currency, user)
