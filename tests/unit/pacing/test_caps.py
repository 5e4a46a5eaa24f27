"""Frequency caps from the local view: counts per rolling window, own bids in flight, and the
last-slot lease that only one instance may hold."""

from openbid.pacing.caps import PENDING_SECONDS, CapBook
from openbid.pacing.ledger import SlotReply
from openbid.pacing.rules import CapRule, LineItemRules, Scope

WALL, NOW = 1_000_000.0, 50.0


def _rules(line_item_caps: tuple[CapRule, ...] = (CapRule(3, 3600),),
           campaign_caps: tuple[CapRule, ...] = ()) -> LineItemRules:  # fmt: skip
    return LineItemRules(
        bit=0,
        id="li",
        campaign_id="cmp",
        timezone="UTC",
        scopes=(
            Scope("l:li", None, None, line_item_caps),
            Scope("c:cmp", None, None, campaign_caps),
        ),
        pace=None,
        max_cost=1000,
    )


def test_one_process_counts_impressions_and_bids_in_flight() -> None:
    book = CapBook(needs_leases=False)
    rules = _rules()
    assert book.allows("u", rules, WALL, NOW)
    book.seen("u", "l:li", WALL - 10, "b1", 3600)
    book.bid("u", rules, "b2", NOW)
    assert book.allows("u", rules, WALL, NOW)  # 1 shown + 1 in flight < 3
    book.bid("u", rules, "b3", NOW)
    assert not book.allows("u", rules, WALL, NOW)
    book.lost("u", ["l:li"], "b3")
    assert book.allows("u", rules, WALL, NOW)
    book.seen("u", "l:li", WALL, "b2", 3600)  # the bid in flight became an impression
    book.seen("u", "l:li", WALL, "b2", 3600)  # heard twice, counted once
    assert book.allows("u", rules, WALL, NOW)
    book.bid("u", rules, "b4", NOW)
    assert not book.allows("u", rules, WALL, NOW)
    assert book.allows("u", rules, WALL, NOW + PENDING_SECONDS + 1)  # b4's bid lapsed
    assert book.allows("other", rules, WALL, NOW)
    assert book.take_claims() == []


def test_windows_roll() -> None:
    book = CapBook(needs_leases=False)
    rules = _rules((CapRule(1, 60), CapRule(2, 3600)))
    book.seen("u", "l:li", WALL, "b1", 3600)
    assert not book.allows("u", rules, WALL + 30, NOW)  # 1 per minute
    assert book.allows("u", rules, WALL + 61, NOW)
    book.seen("u", "l:li", WALL + 61, "b2", 3600)
    assert not book.allows("u", rules, WALL + 200, NOW)  # 2 per hour
    assert book.allows("u", rules, WALL + 3601, NOW)


def test_shared_books_lease_the_last_slot() -> None:
    book = CapBook(needs_leases=True)
    book.strict = False  # the view is complete
    rules = _rules((CapRule(2, 3600),))
    assert book.allows("u", rules, WALL, NOW)  # far from the cap: no lease
    book.seen("u", "l:li", WALL, "b1", 3600)
    assert not book.allows("u", rules, WALL, NOW)  # the next one would be the last
    (claim,) = book.take_claims()
    assert (claim.user, claim.scope, claim.rules) == ("u", "l:li", ((2, 3600),))
    assert book.take_claims() == []
    book.answered(claim, SlotReply(True, ((WALL, "b1"),)), NOW)
    assert book.allows("u", rules, WALL, NOW)
    book.bid("u", rules, "b2", NOW)  # the lease is spent on this bid
    assert not book.allows("u", rules, WALL, NOW)
    assert book.take_claims() == []  # capped: nothing to claim


def test_a_refused_claim_keeps_the_user_out() -> None:
    book = CapBook(needs_leases=True)
    book.strict = False
    rules = _rules((CapRule(1, 3600),))
    assert not book.allows("u", rules, WALL, NOW)  # cap of 1: the first slot is the last
    (claim,) = book.take_claims()
    book.answered(claim, SlotReply(False, ((WALL - 5, "elsewhere"),)), NOW)
    assert not book.allows("u", rules, WALL, NOW)
    assert book.take_claims() == []  # capped by the history the ledger sent


def test_strict_until_the_view_is_complete() -> None:
    book = CapBook(needs_leases=True)
    rules = _rules((CapRule(5, 3600),))
    assert book.strict
    assert not book.allows("u", rules, WALL, NOW)
    assert len(book.take_claims()) == 1
    book.strict = False
    assert book.allows("u", rules, WALL, NOW)


def test_campaign_caps_count_across_line_items() -> None:
    book = CapBook(needs_leases=False)
    rules = _rules((), (CapRule(1, 3600),))
    book.seen("u", "c:cmp", WALL, "other-line-item-bid", 3600)
    assert not book.allows("u", rules, WALL, NOW)


def test_sweep_forgets_only_what_no_longer_counts() -> None:
    book = CapBook(needs_leases=False)
    book.seen("old", "l:li", WALL - 7200, "b1", 7200)
    book.seen("recent", "l:li", WALL - 10, "b2", 7200)
    book.bid("flying", _rules(), "b3", NOW)
    book.sweep(WALL, NOW, 3600)
    assert len(book) == 2
