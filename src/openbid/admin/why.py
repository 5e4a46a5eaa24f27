"""Why a line item does not bid: recent requests replayed against it, stage by stage.

Nothing on the bid path is instrumented for this. Requests kept by the ring buffer are decoded
again and the line item is taken through the pipeline's stages against the catalog snapshot in
service, each request at the time it arrived: the currency, every request-level targeting
dimension (with the compiled index's own per-dimension checks), the buyer seat, then per
impression the media and size, the deals on offer, the creatives (with
:func:`openbid.bidder.selection.fitting_creative`) and the floor (with the pipeline's own
:func:`openbid.bidder.selection.select_for_imp`, given only this line item), and finally budgets,
pacing and frequency caps through the :class:`PacingView`. The first stage that stops it is the
reason for that request; a request that passes every stage is ``bid`` when the line item would
have been chosen and ``outranked`` when another line item would have been.
"""

import copy
from collections import Counter
from collections.abc import Iterable

import msgspec

from openbid.admin.pacing import PacingView
from openbid.admin.ring import RecordedRequest
from openbid.bidder.reasons import NoBid
from openbid.bidder.selection import EMPTY, Choice, RequestBlocks, fitting_creative, select_for_imp
from openbid.bidder.snapshot import CatalogSnapshot
from openbid.openrtb.codec import InvalidRequest, decode_request
from openbid.openrtb.model import BidRequest, Imp
from openbid.targeting.compiled import CompiledLineItem
from openbid.targeting.dimension import Step
from openbid.targeting.features import RequestFeatures, banner_sizes, request_features
from openbid.targeting.index import TargetingIndex

BID = "bid"
OUTRANKED = "outranked"
INVALID_REQUEST = "invalid_request"
# The index's request-level parts, in the order the index applies them (``time`` is reported
# as ``flight`` or ``schedule``).
TARGETING_PARTS = (
    "time", "inventory", "countries", "device_types", "exchanges", "publishers", "site_domains",
    "app_bundles", "regions", "metros", "cities", "os", "os_version", "device_makes",
    "connection_types", "schain", "languages", "categories", "segments", "radius",
)  # fmt: skip
CREATIVE_BLOCKS = ("bcat", "badv", "bapp", "wlang")
# Impression-level stages, in the order the selection reaches them: the furthest one reached
# on any impression explains the request.
_MEDIA, _DEAL, _CREATIVE, _DEAL_SEAT, _FLOOR_CURRENCY, _BELOW_FLOOR = range(6)
_SELECTION_STAGES = {
    NoBid.NO_ELIGIBLE_DEAL: (_DEAL_SEAT, "deal:wseat"),
    NoBid.FLOOR_CURRENCY_UNSUPPORTED: (_FLOOR_CURRENCY, "floor_currency"),
    NoBid.BELOW_FLOOR: (_BELOW_FLOOR, "below_floor"),
}


def _no_blocks() -> RequestBlocks:
    return RequestBlocks(BidRequest(id="why", imp=[]))


def _relaxed(blocks: RequestBlocks, name: str) -> RequestBlocks:
    """``blocks`` without the block list ``name``."""
    relaxed = copy.copy(blocks)
    setattr(relaxed, name, EMPTY)
    return relaxed


def _without_battr(imp: Imp) -> Imp:
    """``imp`` with no blocked creative attributes on any of its media."""
    replace = msgspec.structs.replace
    return replace(
        imp,
        banner=replace(imp.banner, battr=None) if imp.banner else None,
        video=replace(imp.video, battr=None) if imp.video else None,
        audio=replace(imp.audio, battr=None) if imp.audio else None,
        native=replace(imp.native, battr=None) if imp.native else None,
    )


class LineItemProbe:
    """One line item of one snapshot, ready to be taken through the stages request by request."""

    def __init__(
        self, snapshot: CatalogSnapshot, item: CompiledLineItem, pacing: PacingView
    ) -> None:
        self.snapshot = snapshot
        self.item = item
        self.bit = 1 << item.bit
        self.pacing = pacing
        index = snapshot.index
        self._steps: list[tuple[str, Step]] = []
        for name in TARGETING_PARTS:
            part = getattr(index, name)
            if part.used:
                self._steps.append((name, part.step()))
        self._no_blocks = _no_blocks()

    def reason(self, recorded: RecordedRequest) -> str:
        """What stops the line item on this request (``bid`` or ``outranked`` if nothing)."""
        try:
            request = decode_request(recorded.body)
        except InvalidRequest:
            return INVALID_REQUEST
        return self.reason_for(request, recorded.exchange, recorded.received_at)

    def reason_for(self, request: BidRequest, exchange: str, now: float) -> str:
        """The same, for a decoded request from ``exchange`` at ``now`` (epoch seconds)."""
        snapshot = self.snapshot
        currency = snapshot.currencies.choose(request.cur)
        if currency is None:
            return "currency"
        features = request_features(request, exchange, now)
        stopped = self._targeting(features)
        if stopped is not None:
            return stopped
        seat = self.item.seat
        if request.wseat and seat not in request.wseat:
            return "seat:wseat"
        if request.bseat and seat in request.bseat:
            return "seat:bseat"
        blocks = RequestBlocks(request)
        furthest = (-1, "")
        passed: list[Imp] = []
        for imp in request.imp:
            stage = self._imp_stage(imp, blocks, currency)
            if stage is None:
                passed.append(imp)
            elif stage[0] > furthest[0]:
                furthest = stage
        if not passed:
            return furthest[1]
        blocked = self.pacing.blocked_reason(self.item.id, request, now)
        if blocked is not None:
            return f"pacing:{blocked}"
        return self._rank(request, features, passed, blocks, currency)

    def _targeting(self, features: RequestFeatures) -> str | None:
        bit = self.bit
        for name, step in self._steps:
            if not step(features, bit):
                if name != "time":
                    return f"targeting:{name}"
                start, end = self.item.start, self.item.end
                now = features.now
                in_flight = (start is None or now >= start) and (end is None or now < end)
                return "targeting:schedule" if in_flight else "targeting:flight"
        return None

    def _imp_stage(self, imp: Imp, blocks: RequestBlocks, currency: str) -> tuple[int, str] | None:
        """How far the line item gets on ``imp``: None when it could bid on it."""
        index: TargetingIndex = self.snapshot.index
        bit, item = self.bit, self.item
        sizes = banner_sizes(imp)
        media = 0
        if imp.banner is not None:
            if sizes:
                for size in sizes:
                    media |= index.banner_by_size.get(size, 0)
            else:
                media |= index.banner_any
        if imp.video is not None:
            media |= index.video
        if imp.audio is not None:
            media |= index.audio
        if imp.native is not None:
            media |= index.native
        if not media & bit:
            wrong_size = imp.banner is not None and sizes and index.banner_any & bit
            return (_MEDIA, "size" if wrong_size else "media")
        pmp = imp.pmp
        if item.deal_prices:
            offered = pmp is not None and any(d.id in item.deal_prices for d in pmp.deals or ())
            if not offered:
                return (_DEAL, "deal:not_offered")
        elif pmp is not None and pmp.private_auction == 1:
            return (_DEAL, "deal:private_auction")
        currencies = self.snapshot.currencies
        outcome = select_for_imp(imp, bit, index.line_items, blocks, currencies, currency)
        if isinstance(outcome, Choice):
            return None
        if outcome is NoBid.CREATIVE_FILTERED:
            return (_CREATIVE, f"creative:{self._creative_detail(imp, sizes, blocks)}")
        return _SELECTION_STAGES.get(outcome, (_BELOW_FLOOR, str(outcome)))

    def _creative_detail(
        self, imp: Imp, sizes: tuple[tuple[int, int], ...], blocks: RequestBlocks
    ) -> str:
        """Which request block (or the impression's format) leaves no creative that fits."""
        creatives = self.item.creatives
        if fitting_creative(creatives, imp, sizes, self._no_blocks) is None:
            unblocked = fitting_creative(creatives, _without_battr(imp), sizes, self._no_blocks)
            return "battr" if unblocked is not None else "format"
        for name in CREATIVE_BLOCKS:
            if fitting_creative(creatives, imp, sizes, _relaxed(blocks, name)) is not None:
                return name
        return "blocks"

    def _rank(
        self,
        request: BidRequest,
        features: RequestFeatures,
        passed: Iterable[Imp],
        blocks: RequestBlocks,
        currency: str,
    ) -> str:
        """``bid`` if the line item would be chosen on one of ``passed``, else ``outranked``."""
        index = self.snapshot.index
        mask = index.request_mask(features, request.wseat, request.bseat)
        currencies = self.snapshot.currencies
        for imp in passed:
            candidates = mask & index.imp_mask(imp)
            outcome = select_for_imp(
                imp, candidates, index.line_items, blocks, currencies, currency
            )
            if isinstance(outcome, Choice) and outcome.line_item.bit == self.item.bit:
                return BID
        return OUTRANKED


def tally(probe: LineItemProbe, requests: Iterable[RecordedRequest]) -> Counter[str]:
    """How many of ``requests`` each reason explains."""
    return Counter(probe.reason(recorded) for recorded in requests)
