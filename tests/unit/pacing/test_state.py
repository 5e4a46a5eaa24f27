"""The bid path's view of pacing: bitsets of who may bid, throttle draws, commits."""

from openbid.openrtb.model import BidRequest
from openbid.pacing.caps import CapBook
from openbid.pacing.clock import PacingClock
from openbid.pacing.health import BackendHealth
from openbid.pacing.ledger import Grant
from openbid.pacing.rules import CapRule, LineItemRules, Scope
from openbid.pacing.state import FREQUENCY_CAPPED, OUT_OF_BUDGET, PACED, PacingState


def _rules(bit: int, ident: str, total: int | None = None, caps: tuple[CapRule, ...] = ()
           ) -> LineItemRules:  # fmt: skip
    return LineItemRules(
        bit=bit,
        id=ident,
        campaign_id="cmp",
        timezone="UTC",
        scopes=(Scope(f"l:{ident}", total, None, caps), Scope("c:cmp", None, None, ())),
        pace=None,
        max_cost=1000,
    )


def _state(draws: list[float]) -> PacingState:
    values = iter(draws)
    return PacingState(PacingClock(), CapBook(False), BackendHealth(False), lambda: next(values))


RULES = (_rules(0, "free"), _rules(1, "budgeted", total=10_000), _rules(2, "capped",
         caps=(CapRule(1, 3600),)))  # fmt: skip


def test_budgeted_line_items_wait_for_an_allowance() -> None:
    state = _state([])
    state.bind(RULES)
    assert state.admit(0b111, "u") == 0b101
    allowance = state.allowances["budgeted"]
    allowance.granted(Grant(2_500, 0, 0, 0, 0, 0), 0.0, 10.0)
    state.refresh(allowance)
    assert state.admit(0b111, "u") == 0b111
    assert state.commit(1, 1000, 7, "u", "b1")
    assert state.admit(0b010, "u") == 0b010
    assert state.commit(1, 1000, 7, "u", "b2")  # 500 left: under one impression
    assert state.admit(0b010, "u") == 0
    assert not state.commit(1, 1000, 7, "u", "b3")
    assert allowance.unreported == {7: 2000}


def test_throttles_draw_per_candidate() -> None:
    state = _state([0.2, 0.9, 0.2])
    state.bind(RULES)
    state.set_throttle(0, 0.5)
    assert state.throttled_mask == 0b001
    assert state.admit(0b001, "u") == 0b001  # 0.2 < 0.5
    assert state.admit(0b001, "u") == 0  # 0.9 >= 0.5
    state.set_throttle(0, 1.0)
    assert state.throttled_mask == 0
    assert state.admit(0b001, "u") == 0b001  # no draw at all


def test_caps_need_a_user() -> None:
    state = _state([])
    state.bind(RULES)
    assert state.admit(0b100, None) == 0
    assert state.admit(0b100, "u") == 0b100
    assert state.commit(2, 1000, 7, "u", "b1")
    assert state.admit(0b100, "u") == 0  # one bid in flight reaches the cap of 1


def test_rebinding_keeps_leases_and_follows_bits() -> None:
    state = _state([])
    state.bind(RULES)
    allowance = state.allowances["budgeted"]
    allowance.granted(Grant(5_000, 0, 0, 0, 0, 0), 0.0, 10.0)
    moved = (_rules(0, "budgeted", total=10_000), _rules(1, "free"))
    state.bind(moved)
    assert state.allowances["budgeted"] is allowance
    assert state.open_mask == 0b11
    assert state.capped_mask == 0


def test_blocked_reasons() -> None:
    state = _state([])
    state.bind(RULES)
    request = BidRequest(id="r", imp=[])
    assert state.blocked_reason("budgeted", request, 0.0) == OUT_OF_BUDGET
    assert state.blocked_reason("capped", request, 0.0) == FREQUENCY_CAPPED  # no user
    state.set_throttle(0, 0.3)
    assert state.blocked_reason("free", request, 0.0) == PACED
    assert state.blocked_reason("unknown", request, 0.0) is None
    view = state.line_item_state("budgeted")
    assert view["budget"] == {"total": 10_000, "daily": None}
    assert view["ledger"] == "in-process"
    assert state.line_item_state("unknown") == {}
