"""The why analysis agrees with the bid pipeline's selection, request by request, line item by
line item: its stage-by-stage funnel (each targeting dimension, seats, media, deals, creatives,
floors) must reach ``bid`` exactly when the index's combined mask and the selection choose the
line item. (The selection is taken as the pipeline runs it, before the response is encoded.)"""

import time

from admin_fixtures import demo_context, sample_requests

from openbid.admin.pacing import NullPacingView
from openbid.admin.ring import RecordedRequest
from openbid.admin.why import BID, INVALID_REQUEST, LineItemProbe, tally
from openbid.bidder.selection import Choice, RequestBlocks, select_for_imp
from openbid.bidder.snapshot import CatalogSnapshot
from openbid.openrtb.codec import InvalidRequest, decode_request
from openbid.openrtb.model import BidRequest
from openbid.targeting.features import request_features


def _chosen(snapshot: CatalogSnapshot, request: BidRequest, now: float) -> set[str]:
    """The line items the pipeline's selection picks for ``request`` (as ``Bidder.bid``)."""
    currency = snapshot.currencies.choose(request.cur)
    if currency is None:
        return set()
    index = snapshot.index
    mask = index.request_mask(
        request_features(request, "default", now), request.wseat, request.bseat
    )
    blocks = RequestBlocks(request)
    chosen: set[str] = set()
    for imp in request.imp:
        candidates = mask & index.imp_mask(imp) if mask else 0
        outcome = select_for_imp(
            imp, candidates, index.line_items, blocks, snapshot.currencies, currency
        )
        if isinstance(outcome, Choice):
            chosen.add(outcome.line_item.id)
    return chosen


def test_bid_exactly_when_the_pipeline_chooses_the_line_item() -> None:
    context = demo_context()
    snapshot = context.bidder.snapshot
    assert snapshot is not None
    probes = [LineItemProbe(snapshot, item, NullPacingView()) for item in snapshot.index.line_items]
    now = time.time()
    checked = bids = 0
    for body in sample_requests(400):
        try:
            request = decode_request(body)
        except InvalidRequest:
            continue
        chosen = _chosen(snapshot, request, now)
        for probe in probes:
            reason = probe.reason_for(request, "default", now)
            assert (reason == BID) == (probe.item.id in chosen), (request.id, probe.item.id, reason)
            checked += 1
        bids += len(chosen)
    assert checked > 1000
    assert bids > 10  # the sample does exercise bids


def test_tally_counts_undecodable_bodies() -> None:
    context = demo_context(recorded=1)
    snapshot = context.bidder.snapshot
    assert snapshot is not None
    probe = LineItemProbe(snapshot, snapshot.index.line_items[0], NullPacingView())
    counts = tally(probe, [RecordedRequest(b"{", "default", 0.0)] * 3)
    assert counts == {INVALID_REQUEST: 3}
