"""The exchange's auction: the bidder's bids against synthetic competitors, per impression.

Bids that fail the exchange's checks (:mod:`openbid.exchange.validate`) are out, with the loss
reason the check names. The rest compete with competing bids drawn from the profile's price
distribution for the impression's segment. Each offer must reach its own floor (the deal's for a
deal bid, the impression's otherwise). The highest offer wins, ties broken at random; it pays
its own price in a first-price auction (``at`` 1), the next offer or its floor plus the increment
in a second-price one (``at`` 2), and the deal price in a fixed-price deal (``at`` 3). Prices are
compared in integer micro-dollars, so equal bids tie exactly.
"""

import random
from collections.abc import Sequence
from typing import NamedTuple

from openbid.exchange.profile import Competition, Profile
from openbid.exchange.sampling import lognormal
from openbid.exchange.validate import (
    DEFAULT_CURRENCY,
    bid_problems,
    convert_floor,
    response_problems,
    seat_problems,
)
from openbid.openrtb.model import Bid, BidRequest, BidResponse, Deal, Imp
from openbid.openrtb.nobid import LossReason

MICROS = 1_000_000
FIRST_PRICE, SECOND_PRICE, FIXED_PRICE = 1, 2, 3
DEFAULT_AUCTION_TYPE = SECOND_PRICE  # OpenRTB's default for `at`


class Offer(NamedTuple):
    """One bid in an impression's auction, in micro-dollars, with its floor and auction type."""

    price: int
    floor: int
    at: int


class Clearing(NamedTuple):
    """Who won (an index into the offers), what they pay, and the best price beside theirs."""

    winner: int
    price: int
    runner_up: int


def clear(offers: Sequence[Offer], increment: int, rng: random.Random) -> Clearing | None:
    """Run one auction; None when no offer reaches its floor.

    ``runner_up`` is the highest other eligible offer, or the winner's floor when there is none.
    """
    eligible = [i for i, offer in enumerate(offers) if offer.price >= offer.floor]
    if not eligible:
        return None
    top = max(offers[i].price for i in eligible)
    tied = [i for i in eligible if offers[i].price == top]
    winner = tied[0] if len(tied) == 1 else rng.choice(tied)
    best = offers[winner]
    runner_up = max((offers[i].price for i in eligible if i != winner), default=best.floor)
    runner_up = max(runner_up, best.floor)
    if best.at == FIXED_PRICE:
        price = best.floor
    elif best.at == SECOND_PRICE:
        price = min(best.price, runner_up + increment)
    else:
        price = best.price
    return Clearing(winner, price, runner_up)


class BidOutcome(NamedTuple):
    """What became of one of the bidder's bids; prices in the response currency."""

    seat: str
    bid: Bid
    won: bool
    loss: LossReason
    price: float | None  # the clearing price: what the winner paid (None when nothing sold)
    min_to_win: float | None  # the lowest price that would have won (None when unknown)
    problems: list[str]


class _Entry(NamedTuple):
    seat: str
    bid: Bid


def _micros(amount: float | None) -> int:
    return round((amount or 0.0) * MICROS)


class Auction:
    """Clears every impression of a bid response against the profile's competition."""

    def __init__(self, profile: Profile, rng: random.Random) -> None:
        self._rng = rng
        self._competition = profile.competition
        self._increment = _micros(profile.increment)
        self.rates = profile.rates()

    def run(self, request: BidRequest, response: BidResponse) -> list[BidOutcome]:
        """The outcome of every bid in ``response``, in the order of the response."""
        currency = response.cur or DEFAULT_CURRENCY
        rate = self.rates.get(currency)
        refusals = [p.message for p in response_problems(request, response)]
        if rate is None:
            refusals.append(f"no exchange rate for {currency}")
        imps = {imp.id: imp for imp in request.imp}
        outcomes: dict[int, BidOutcome] = {}
        competing: dict[str, list[tuple[int, _Entry]]] = {}
        position = 0
        for seatbid in response.seatbid or ():
            seat = seatbid.seat or ""
            refused_seat = seat_problems(request, seatbid)
            for bid in seatbid.bid or ():
                problems = refused_seat + bid_problems(request, imps, bid, currency, self.rates)
                if refusals or problems:
                    reason = problems[0].reason if problems else LossReason.INVALID_BID_RESPONSE
                    messages = refusals + [p.message for p in problems]
                    outcomes[position] = BidOutcome(seat, bid, False, reason, None, None, messages)
                else:
                    competing.setdefault(bid.impid or "", []).append((position, _Entry(seat, bid)))
                position += 1
        for imp_id, indexed in competing.items():
            assert rate is not None  # no rate is a refusal of every bid
            cleared = self._clear_imp(request, imps[imp_id], [entry for _, entry in indexed], rate)
            outcomes.update(zip((i for i, _ in indexed), cleared, strict=True))
        return [outcomes[i] for i in range(position)]

    def _segment(self, imp: Imp) -> Competition | None:
        """The competition an impression draws: the deal segment for private auctions, else
        its richest media's."""
        if imp.pmp is not None and imp.pmp.private_auction == 1:
            return self._competition.get("deal")
        for media in ("video", "audio", "native", "banner"):
            if getattr(imp, media) is not None:
                return self._competition.get(media)
        return None

    def _competitors(self, imp: Imp, floor: int, at: int) -> list[Offer]:
        """Synthetic competing bids, each against ``floor``."""
        segment = self._segment(imp)
        if segment is None:
            return []
        low, high = segment.bidders
        rng = self._rng
        return [
            Offer(_micros(lognormal(rng, segment.median, segment.sigma)), floor, at)
            for _ in range(rng.randint(low, high))
        ]

    def _floor(self, floor: float | None, currency: str | None) -> int:
        """A floor in micro-dollars (0 when it has no known rate)."""
        return _micros(convert_floor(floor, currency, DEFAULT_CURRENCY, self.rates))

    def _clear_imp(
        self, request: BidRequest, imp: Imp, entries: list[_Entry], rate: float
    ) -> list[BidOutcome]:
        """Our valid bids on one impression against the competition, prices in our currency."""
        at = request.at or DEFAULT_AUCTION_TYPE
        deals = {d.id: d for d in (imp.pmp.deals or ())} if imp.pmp else {}
        imp_floor = self._floor(imp.bidfloor, imp.bidfloorcur)
        ours = [
            self._offer(e.bid, deals.get(e.bid.dealid or ""), imp_floor, at, rate) for e in entries
        ]
        rival_floor = imp_floor
        if imp.pmp is not None and imp.pmp.private_auction == 1 and deals:
            rival_floor = min(self._floor(d.bidfloor, d.bidfloorcur) for d in deals.values())
        offers = ours + self._competitors(imp, rival_floor, at)
        clearing = clear(offers, self._increment, self._rng)
        assert clearing is not None  # our offers were checked against their floors

        def local(micros: int) -> float:
            return micros / MICROS * rate

        winner = offers[clearing.winner]
        outcomes = []
        for index, entry in enumerate(entries):
            bid = entry.bid
            if index == clearing.winner:
                paid = min(bid.price or 0.0, local(clearing.price))
                if clearing.price == winner.price:
                    paid = bid.price or 0.0
                outcome = BidOutcome(
                    entry.seat, bid, True, LossReason.BID_WON, paid, local(clearing.runner_up), []
                )
            else:
                beaten_by_deal = clearing.winner < len(entries) and (
                    entries[clearing.winner].bid.dealid is not None and bid.dealid is None
                )
                reason = (
                    LossReason.LOST_TO_DEAL_BID if beaten_by_deal else LossReason.LOST_TO_HIGHER_BID
                )
                outcome = BidOutcome(
                    entry.seat, bid, False, reason, local(clearing.price), local(winner.price), []
                )
            outcomes.append(outcome)
        return outcomes

    def _offer(self, bid: Bid, deal: Deal | None, imp_floor: int, at: int, rate: float) -> Offer:
        """One of our checked bids as an offer in micro-dollars.

        Its floor is capped at its price: the bid already passed the floor check in its own
        currency, and converting both to dollars must not undo that by a rounding.
        """
        price = _micros((bid.price or 0.0) / rate)
        if deal is None:
            return Offer(price, min(imp_floor, price), at)
        deal_floor = self._floor(deal.bidfloor, deal.bidfloorcur)
        return Offer(price, min(deal_floor, price), deal.at or at)
