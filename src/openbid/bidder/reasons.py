"""Why the bidder did not bid, in openbid's own words and as OpenRTB no-bid reason codes."""

from enum import StrEnum

from openbid.openrtb.nobid import NoBidReason


class NoBid(StrEnum):
    """A no-bid reason; for a request, the furthest stage any of its impressions reached."""

    NOT_READY = "not_ready"
    DEADLINE = "deadline"
    CURRENCY_UNSUPPORTED = "currency_unsupported"
    HELD_BACK = "held_back"  # every matching line item was out of budget, paced or capped
    NO_MATCHING_LINE_ITEM = "no_matching_line_item"
    NO_ELIGIBLE_DEAL = "no_eligible_deal"
    CREATIVE_FILTERED = "creative_filtered"
    FLOOR_CURRENCY_UNSUPPORTED = "floor_currency_unsupported"
    BELOW_FLOOR = "below_floor"

    @property
    def openrtb_code(self) -> int:
        """The OpenRTB ``nbr`` code an exchange understands."""
        return _NBR.get(self, NoBidReason.UNKNOWN_ERROR)


_NBR = {
    NoBid.NOT_READY: NoBidReason.TECHNICAL_ERROR,
    NoBid.DEADLINE: NoBidReason.INSUFFICIENT_AUCTION_TIME,
}

# Impression-level stages in the order the selection reaches them; deeper explains more.
IMP_STAGES = (
    NoBid.NO_MATCHING_LINE_ITEM,
    NoBid.NO_ELIGIBLE_DEAL,
    NoBid.CREATIVE_FILTERED,
    NoBid.FLOOR_CURRENCY_UNSUPPORTED,
    NoBid.BELOW_FLOOR,
)
STAGE_RANK = {stage: rank for rank, stage in enumerate(IMP_STAGES)}
