"""Auction clearing: first and second price, floors, ties, fixed-price deals, refused bids."""

import random

import msgspec
import pytest

from openbid.exchange.auction import Auction, Offer, clear
from openbid.exchange.profile import Competition, Profile, load_profile
from openbid.openrtb.codec import decode_request, decode_response
from openbid.openrtb.nobid import LossReason

INCREMENT = 10_000  # $0.01 in micro-dollars
FIRST, SECOND, FIXED = 1, 2, 3


@pytest.fixture
def profile() -> Profile:
    """The built-in traffic profile."""
    return load_profile()


def test_first_price_winner_pays_its_own_bid() -> None:
    offers = [Offer(2_000_000, 500_000, FIRST), Offer(3_000_000, 500_000, FIRST)]
    clearing = clear(offers, INCREMENT, random.Random(1))
    assert clearing is not None
    assert (clearing.winner, clearing.price, clearing.runner_up) == (1, 3_000_000, 2_000_000)


def test_second_price_winner_pays_the_next_bid_plus_the_increment() -> None:
    offers = [Offer(3_000_000, 500_000, SECOND), Offer(1_200_000, 500_000, SECOND)]
    clearing = clear(offers, INCREMENT, random.Random(1))
    assert clearing is not None
    assert (clearing.winner, clearing.price) == (0, 1_210_000)


def test_second_price_never_exceeds_the_winning_bid() -> None:
    offers = [Offer(1_005_000, 0, SECOND), Offer(1_000_000, 0, SECOND)]
    clearing = clear(offers, INCREMENT, random.Random(1))
    assert clearing is not None
    assert clearing.price == 1_005_000


def test_second_price_alone_pays_the_floor_plus_the_increment() -> None:
    clearing = clear([Offer(4_000_000, 1_500_000, SECOND)], INCREMENT, random.Random(1))
    assert clearing is not None
    assert clearing.price == 1_510_000
    assert clearing.runner_up == 1_500_000


def test_offers_below_their_floor_are_out() -> None:
    offers = [Offer(9_000_000, 10_000_000, FIRST), Offer(2_000_000, 1_000_000, FIRST)]
    clearing = clear(offers, INCREMENT, random.Random(1))
    assert clearing is not None
    assert clearing.winner == 1
    assert clear([Offer(900_000, 1_000_000, FIRST)], INCREMENT, random.Random(1)) is None


def test_a_bid_exactly_at_the_floor_is_in() -> None:
    clearing = clear([Offer(1_000_000, 1_000_000, SECOND)], INCREMENT, random.Random(1))
    assert clearing is not None
    assert clearing.price == 1_000_000  # floor + increment, capped at the bid


def test_a_below_floor_rival_does_not_set_the_second_price() -> None:
    offers = [Offer(5_000_000, 2_000_000, SECOND), Offer(1_900_000, 2_000_000, SECOND)]
    clearing = clear(offers, INCREMENT, random.Random(1))
    assert clearing is not None
    assert clearing.price == 2_010_000


@pytest.mark.parametrize("at", [FIRST, SECOND])
def test_ties_are_broken_at_random_and_clear_at_the_tied_price(at: int) -> None:
    offers = [Offer(2_000_000, 0, at), Offer(2_000_000, 0, at), Offer(1_000_000, 0, at)]
    winners = set()
    for seed in range(40):
        clearing = clear(offers, INCREMENT, random.Random(seed))
        assert clearing is not None
        assert clearing.price == 2_000_000
        winners.add(clearing.winner)
    assert winners == {0, 1}


def test_a_tie_is_decided_the_same_way_by_the_same_seed() -> None:
    offers = [Offer(2_000_000, 0, FIRST), Offer(2_000_000, 0, FIRST)]
    first = [clear(offers, INCREMENT, random.Random(seed)) for seed in range(10)]
    again = [clear(offers, INCREMENT, random.Random(seed)) for seed in range(10)]
    assert first == again


def test_a_fixed_price_deal_pays_the_deal_price() -> None:
    offers = [Offer(6_000_000, 6_000_000, FIXED), Offer(2_000_000, 500_000, FIRST)]
    clearing = clear(offers, INCREMENT, random.Random(1))
    assert clearing is not None
    assert (clearing.winner, clearing.price) == (0, 6_000_000)


def _alone(profile: Profile) -> Profile:
    """The profile without competitors, so our bid's fate depends only on floors and rules."""
    nobody = Competition(bidders=(0, 0), median=1.0, sigma=0.1)
    return msgspec.structs.replace(
        profile, competition=dict.fromkeys(("banner", "native", "video", "audio"), nobody)
    )


def _request(**overrides: object) -> bytes:
    request = {
        "id": "auc-1",
        "at": 2,
        "cur": ["USD", "EUR"],
        "imp": [{"id": "1", "banner": {"format": [{"w": 300, "h": 250}]}, "bidfloor": 1.0}],
        **overrides,
    }
    return msgspec.json.encode(request)


def _response(price: float, **bid: object) -> bytes:
    return msgspec.json.encode(
        {
            "id": "auc-1",
            "cur": bid.pop("cur", "USD"),
            "seatbid": [
                {
                    "seat": "s1",
                    "bid": [
                        {
                            "id": "b1",
                            "impid": "1",
                            "price": price,
                            "crid": "cr-1",
                            "adm": "<div/>",
                            "mtype": 1,
                            "w": 300,
                            "h": 250,
                            **bid,
                        }
                    ],
                }
            ],
        }
    )


def test_auction_of_a_lone_bid_in_second_price(profile: Profile) -> None:
    auction = Auction(_alone(profile), random.Random(1))
    [outcome] = auction.run(decode_request(_request()), decode_response(_response(3.0)))
    assert outcome.won
    assert outcome.loss == LossReason.BID_WON
    assert outcome.price == pytest.approx(1.01)  # the floor plus the increment


def test_auction_prices_come_back_in_the_bid_currency(profile: Profile) -> None:
    auction = Auction(_alone(profile), random.Random(1))
    response = decode_response(_response(2.0, cur="EUR"))
    [outcome] = auction.run(decode_request(_request()), response)
    assert outcome.won
    assert outcome.price == pytest.approx((1.0 + 0.01) * 0.92)  # $1.01 in euros


def test_auction_refuses_a_bid_below_the_floor_with_its_loss_reason(profile: Profile) -> None:
    auction = Auction(_alone(profile), random.Random(1))
    [outcome] = auction.run(decode_request(_request()), decode_response(_response(0.5)))
    assert not outcome.won
    assert outcome.loss == LossReason.BELOW_AUCTION_FLOOR
    assert "below floor" in outcome.problems[0]


def test_auction_refuses_a_blocked_category(profile: Profile) -> None:
    auction = Auction(_alone(profile), random.Random(1))
    request = decode_request(_request(bcat=["IAB8"]))
    [outcome] = auction.run(request, decode_response(_response(3.0, cat=["IAB8-5"])))
    assert outcome.loss == LossReason.CREATIVE_FILTERED_CATEGORY_EXCLUSIONS


def test_auction_refuses_every_bid_of_a_response_with_the_wrong_id(profile: Profile) -> None:
    auction = Auction(_alone(profile), random.Random(1))
    request = decode_request(_request(id="another"))
    [outcome] = auction.run(request, decode_response(_response(3.0)))
    assert not outcome.won
    assert outcome.problems


def test_a_strong_rival_beats_our_bid(profile: Profile) -> None:
    rich = Competition(bidders=(3, 3), median=50.0, sigma=0.01)
    crowded = msgspec.structs.replace(profile, competition={"banner": rich})
    auction = Auction(crowded, random.Random(1))
    [outcome] = auction.run(decode_request(_request(at=1)), decode_response(_response(3.0)))
    assert not outcome.won
    assert outcome.loss == LossReason.LOST_TO_HIGHER_BID
    assert outcome.price is not None
    assert outcome.price > 40  # what the winner paid, for ${AUCTION_PRICE} on the loss notice


def test_a_fixed_price_deal_bid_clears_at_the_deal_price(profile: Profile) -> None:
    pmp = {"private_auction": 1, "deals": [{"id": "D1", "bidfloor": 6.0, "at": 3}]}
    imp = {"id": "1", "banner": {"format": [{"w": 300, "h": 250}]}, "bidfloor": 1.0, "pmp": pmp}
    auction = Auction(_alone(profile), random.Random(1))
    request = decode_request(_request(imp=[imp]))
    [outcome] = auction.run(request, decode_response(_response(6.5, dealid="D1")))
    assert outcome.won
    assert outcome.price == pytest.approx(6.0)
