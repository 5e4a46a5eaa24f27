"""The bidder's settings: who it bids as, where notices come back, and its time budget."""

from dataclasses import dataclass, field

from openbid.notices.signing import SigningKeys


@dataclass(frozen=True, slots=True)
class BidderConfig:
    """Settings of the bid pipeline (not of the HTTP listener)."""

    seat: str = "openbid"
    notice_base_url: str = "http://127.0.0.1:8080"
    default_tmax_ms: int = 100
    network_margin_ms: int = 10
    signing_keys: SigningKeys = field(default_factory=SigningKeys.ephemeral)
