"""What the notice endpoints tell metrics and the event log about each notice they decided.

A verified notice seen for the first time becomes a ``win``, ``bill``, ``loss``,
``impression`` or ``click`` event; one refused (forged, malformed, expired) or seen before
becomes a ``rejected_notice`` event with the reason. Win and billing events carry the clearing
price, never above the bid (what budgets are charged). Every notice is counted by type and
outcome, and what a billing notice spent is added to the spend counter.
"""

from openbid.events.build import EventBuilder
from openbid.events.log import EventLog
from openbid.events.schema import EventKind
from openbid.notices.query import SignedNotice
from openbid.notices.urls import BILLING, CLICK, IMPRESSION, LOSS, WIN
from openbid.pacing.rules import impression_cost
from openbid.telemetry.metrics import BidderMetrics

EVENT_KINDS = {
    WIN: EventKind.WIN,
    BILLING: EventKind.BILL,
    LOSS: EventKind.LOSS,
    IMPRESSION: EventKind.IMPRESSION,
    CLICK: EventKind.CLICK,
}
"""Notice kind (as in its URL) -> the event kind recording it."""
ACCEPTED = frozenset({"ok", "billed", "unknown currency"})
"""Outcomes of a genuine notice seen for the first time (the receiver's words)."""
BILLED = "billed"


def reason_name(outcome: str) -> str:
    """A receiver outcome as a column value: ``bad signature`` -> ``bad_signature``."""
    return outcome.replace(" ", "_")


def _loss_code(text: str | None) -> int | None:
    return int(text) if text is not None and text.isdigit() else None


class NoticeObserver:
    """Called by the notice receiver once it has decided a notice."""

    __slots__ = ("_builder", "_events", "_metrics")

    def __init__(
        self, metrics: BidderMetrics, events: EventLog | None, builder: EventBuilder
    ) -> None:
        self._metrics = metrics
        self._events = events
        self._builder = builder

    def __call__(
        self, kind: str, outcome: str, notice: SignedNotice | None, price: int | None
    ) -> None:
        """Record one ``kind`` notice: its ``outcome``, the verified notice (None when it did
        not verify) and its clearing price in micros (win and billing notices only)."""
        metrics = self._metrics
        reason = reason_name(outcome)
        metrics.notices.inc(kind, reason)
        cleared = None
        if notice is not None and price is not None:
            cleared = min(price, notice.bid_price_micros)
            if outcome == BILLED:
                metrics.spend.add(impression_cost(cleared), notice.currency)
        events = self._events
        if events is None:
            return
        if notice is None or outcome not in ACCEPTED:
            events.emit(
                self._builder.rejected_notice(
                    kind,
                    reason,
                    auction_id=notice.auction_id if notice else None,
                    imp_id=notice.imp_id if notice else None,
                    bid_id=notice.bid_id if notice else None,
                    line_item=notice.line_item_id if notice else None,
                )
            )
            return
        events.emit(
            self._builder.notice(
                EVENT_KINDS[kind],
                auction_id=notice.auction_id,
                imp_id=notice.imp_id,
                bid_id=notice.bid_id,
                line_item=notice.line_item_id,
                creative=notice.creative_id,
                bid_price_micros=notice.bid_price_micros,
                currency=notice.currency,
                clearing_price_micros=cleared,
                loss_reason=_loss_code(notice.loss) if kind == LOSS else None,
                exchange=notice.exchange,
            )
        )
