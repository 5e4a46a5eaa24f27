"""Load shedding: the fraction follows how late the loop runs; shed requests skip the handler."""

import asyncio
import time
from collections.abc import Callable
from typing import cast

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openbid.server.http import HttpLimits, HttpRequest, HttpResponse
from openbid.server.listener import start
from openbid.server.overload import LoadShedder, ShedPolicy
from openbid.server.protocol import HttpProtocol, ServerState

POLICY = ShedPolicy()
SHED = HttpResponse(204, headers=((b"X-Openbid-Nobid", b"overloaded"),))
LATE = POLICY.lag_high * 2
ON_TIME = 0.0
BETWEEN = (POLICY.lag_low + POLICY.lag_high) / 2


def _shedder(draws: list[float] | None = None) -> LoadShedder:
    queue = list(draws or [])
    return LoadShedder(POLICY, draw=lambda: queue.pop(0))


def _samples(shedder: LoadShedder, count: int, lag: float) -> None:
    for _ in range(count):
        shedder.sample(lag)


def test_a_loop_that_keeps_up_never_sheds() -> None:
    shedder = _shedder()
    _samples(shedder, 100, ON_TIME)
    assert shedder.fraction == 0.0
    assert not shedder.should_shed(0.0)


def _shedding(shedder: LoadShedder) -> None:
    _samples(shedder, POLICY.sustain, LATE)
    assert shedder.fraction == pytest.approx(POLICY.step_up)


def test_a_late_loop_sheds_more_each_sample_up_to_the_cap() -> None:
    shedder = _shedder()
    _samples(shedder, POLICY.sustain - 1, LATE)
    assert shedder.fraction == 0.0, "not yet a standing queue"
    _samples(shedder, 4, LATE)
    assert shedder.fraction == pytest.approx(4 * POLICY.step_up)
    _samples(shedder, 100, LATE)
    assert shedder.fraction == POLICY.max_fraction


def test_stalls_between_on_time_samples_never_shed() -> None:
    shedder = _shedder()
    for _ in range(50):
        _samples(shedder, POLICY.sustain - 1, LATE)
        _samples(shedder, 1, BETWEEN)
    assert shedder.fraction == 0.0


def test_once_shedding_every_late_sample_counts_even_after_a_pause() -> None:
    shedder = _shedder()
    _shedding(shedder)
    _samples(shedder, 1, BETWEEN)
    _samples(shedder, 1, LATE)
    assert shedder.fraction == pytest.approx(2 * POLICY.step_up)


def test_shedding_backs_off_once_there_is_room_and_holds_in_between() -> None:
    shedder = _shedder()
    _samples(shedder, 10, LATE)
    high = shedder.fraction
    _samples(shedder, 5, BETWEEN)
    assert shedder.fraction == high
    _samples(shedder, 5, ON_TIME)
    assert shedder.fraction == pytest.approx(high - 5 * POLICY.step_down)
    _samples(shedder, 100, ON_TIME)
    assert shedder.fraction == 0.0


@given(st.lists(st.floats(0, 1), max_size=200))
def test_the_fraction_stays_within_bounds(lags: list[float]) -> None:
    shedder = _shedder()
    for lag in lags:
        shedder.sample(lag)
        assert 0.0 <= shedder.fraction <= POLICY.max_fraction


def test_should_shed_draws_against_the_fraction_and_counts() -> None:
    shedder = _shedder(draws=[0.01, 0.5, 0.04])
    _shedding(shedder)
    assert [shedder.should_shed(0.0) for _ in range(3)] == [True, False, True]
    assert shedder.shed == 2


def test_after_a_long_turn_a_request_read_past_the_turn_budget_is_shed_whatever_the_fraction() -> (
    None
):
    shedder = _shedder()
    late = POLICY.turn_budget + 0.001
    assert not shedder.should_shed(late), "one long turn is a burst, not a standing queue"
    shedder.turn_ended(late)
    assert shedder.fraction == 0.0
    assert not shedder.should_shed(POLICY.turn_budget)
    assert shedder.should_shed(late)
    assert shedder.shed == 1
    shedder.turn_ended(POLICY.turn_budget / 2)
    assert not shedder.should_shed(late), "a short turn ends it"


def test_the_sampler_measures_how_late_the_loop_runs() -> None:
    async def stall_then_sample() -> LoadShedder:
        shedder = LoadShedder(ShedPolicy(interval=0.01))
        task = asyncio.get_running_loop().create_task(shedder.run())
        await asyncio.sleep(0.005)
        blocked_until = asyncio.get_running_loop().time() + 0.05
        while asyncio.get_running_loop().time() < blocked_until:  # the loop is busy: 50 ms
            pass
        await asyncio.sleep(0.002)  # the overdue sample runs, the next is not due yet
        task.cancel()
        return shedder

    shedder = asyncio.run(stall_then_sample())
    assert shedder.lag >= 0.03
    assert shedder.fraction == 0.0, "one stall is not a standing queue"


class FakeTransport:
    """Collects what the protocol writes."""

    def __init__(self) -> None:
        self.written = b""
        self.closed = False

    def write(self, data: bytes) -> None:
        self.written += data

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_write_buffer_size(self) -> int:
        return 0


def _answer(shed_all: bool) -> tuple[bytes, int]:
    calls: list[HttpRequest] = []

    def bid(request: HttpRequest) -> HttpResponse:
        calls.append(request)
        return HttpResponse(200, b'{"id":"1"}')

    shedder = _shedder(draws=[0.0])
    if shed_all:
        _samples(shedder, POLICY.sustain, LATE)
    turn: list[Callable[[], None]] = []
    state = ServerState(
        {"/bid": {"POST": bid}, "/healthz": {"GET": bid}},
        HttpLimits(),
        {"/bid": SHED},
        shedder,
        defer=turn.append,
    )
    protocol = HttpProtocol(state)
    transport = FakeTransport()
    protocol.connection_made(cast(asyncio.Transport, transport))
    protocol.data_received(b"POST /bid HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
    for flush in turn:
        flush()
    return transport.written, len(calls)


def test_a_shed_request_gets_the_shed_answer_without_reaching_the_handler() -> None:
    written, calls = _answer(shed_all=True)
    assert written.startswith(b"HTTP/1.1 204 ")
    assert b"X-Openbid-Nobid: overloaded\r\n" in written
    assert calls == 0


def test_without_overload_the_handler_answers() -> None:
    written, calls = _answer(shed_all=False)
    assert written.startswith(b"HTTP/1.1 200 ")
    assert calls == 1


BID_REQUEST = b"POST /bid HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"


def _turn_server(handler_seconds: list[float]) -> tuple[ServerState, list[Callable[[], None]]]:
    """A server whose bid handler takes ``handler_seconds[0]`` (the test may change it); its
    turn ends when the test says."""

    def slow_bid(request: HttpRequest) -> HttpResponse:
        time.sleep(handler_seconds[0])
        return HttpResponse(200, b'{"id":"1"}')

    turn: list[Callable[[], None]] = []
    state = ServerState(
        {"/bid": {"POST": slow_bid}}, HttpLimits(), {"/bid": SHED}, defer=turn.append
    )
    return state, turn


def _connect(state: ServerState) -> tuple[HttpProtocol, FakeTransport]:
    protocol = HttpProtocol(state)
    transport = FakeTransport()
    protocol.connection_made(cast(asyncio.Transport, transport))
    return protocol, transport


def _end_turn(turn: list[Callable[[], None]]) -> None:
    while turn:
        turn.pop(0)()


def _two_in_a_turn(state: ServerState, turn: list[Callable[[], None]]) -> list[bytes]:
    """Two bid requests read in one loop turn; the status lines of their answers."""
    connections = [_connect(state) for _ in range(2)]
    for protocol, _ in connections:
        protocol.data_received(BID_REQUEST)
    _end_turn(turn)
    return [transport.written.split(b"\r\n", 1)[0] for _, transport in connections]


def test_after_a_long_turn_requests_read_late_in_the_next_long_turn_are_shed() -> None:
    handler_seconds = [POLICY.turn_budget * 1.5]
    state, turn = _turn_server(handler_seconds)
    ok, shed = b"HTTP/1.1 200 OK", b"HTTP/1.1 204 No Content"
    assert _two_in_a_turn(state, turn) == [ok, ok], "one long turn: a burst, nothing shed"
    assert _two_in_a_turn(state, turn) == [ok, shed], "a standing queue: read that late, shed"
    assert _two_in_a_turn(state, turn) == [ok, shed]
    assert state.shedder.shed == 2
    handler_seconds[0] = 0.0
    assert _two_in_a_turn(state, turn) == [ok, ok], "a short turn"
    handler_seconds[0] = POLICY.turn_budget * 1.5
    assert _two_in_a_turn(state, turn) == [ok, ok], "after a short turn, a long one is a burst"


def test_a_request_whose_body_came_slowly_is_not_taken_for_a_queued_one() -> None:
    handler_seconds = [POLICY.turn_budget * 1.5]
    state, turn = _turn_server(handler_seconds)
    _two_in_a_turn(state, turn)  # a long turn: the next long one would shed what it reads late
    handler_seconds[0] = 0.0
    protocol, transport = _connect(state)
    head, body = BID_REQUEST[:-2], BID_REQUEST[-2:]
    protocol.data_received(head)
    time.sleep(POLICY.turn_budget * 1.5)  # the client is slow, the loop is not behind
    protocol.data_received(body)
    _end_turn(turn)
    assert transport.written.startswith(b"HTTP/1.1 200 ")
    assert state.shedder.shed == 0


def _fraction_after_a_stall(shed: dict[str, HttpResponse] | None) -> float:
    async def stall() -> float:
        routes = {"/bid": {"POST": lambda request: HttpResponse(204)}}
        server = await start(routes, "127.0.0.1", 0, shed=shed)
        try:
            for _ in range(2 * POLICY.sustain):  # late sample after late sample
                await asyncio.sleep(0.001)
                time.sleep(2 * POLICY.interval)
            await asyncio.sleep(0.001)
            return server.shedder.fraction
        finally:
            await server.shutdown(1.0)

    return asyncio.run(stall())


def test_a_listener_sheds_by_the_policy_it_is_given() -> None:
    async def listen() -> ShedPolicy:
        routes = {"/bid": {"POST": lambda request: HttpResponse(204)}}
        policy = ShedPolicy(turn_budget=0.035)
        server = await start(routes, "127.0.0.1", 0, shed={"/bid": SHED}, shed_policy=policy)
        try:
            return server.shedder.policy
        finally:
            await server.shutdown(1.0)

    assert asyncio.run(listen()).turn_budget == 0.035


def test_only_a_listener_with_sheddable_routes_samples_its_loop() -> None:
    assert _fraction_after_a_stall({"/bid": SHED}) > 0
    assert _fraction_after_a_stall(None) == 0.0, "--no-load-shedding reports no shed fraction"
