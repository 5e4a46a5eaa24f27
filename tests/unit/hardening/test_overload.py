"""Load shedding: the fraction follows the loop's saturation; shed requests skip the handler."""

import asyncio
from pathlib import Path
from typing import cast

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openbid.server.http import HttpLimits, HttpRequest, HttpResponse
from openbid.server.overload import LoadShedder, ShedPolicy, cpu_allowance
from openbid.server.protocol import HttpProtocol, ServerState

POLICY = ShedPolicy()
SHED = HttpResponse(204, headers=((b"X-Openbid-Nobid", b"overloaded"),))


class FakeLoop:
    """A wall clock and a loop-thread CPU clock the test moves."""

    def __init__(self) -> None:
        self.wall = 0.0
        self.cpu = 0.0

    def run(self, seconds: float, busy: float) -> None:
        self.wall += seconds
        self.cpu += seconds * busy


def _shedder(loop: FakeLoop, draws: list[float] | None = None) -> LoadShedder:
    queue = list(draws or [])
    return LoadShedder(
        POLICY, lambda: loop.wall, lambda: loop.cpu, lambda: queue.pop(0), lambda: 1.0
    )


def _samples(shedder: LoadShedder, loop: FakeLoop, count: int, busy: float, lag: float) -> None:
    for _ in range(count):
        loop.run(POLICY.interval, busy)
        shedder.sample(lag)


def test_an_idle_loop_never_sheds() -> None:
    loop = FakeLoop()
    shedder = _shedder(loop)
    _samples(shedder, loop, 100, busy=0.5, lag=0.0)
    assert shedder.fraction == 0.0
    assert not shedder.should_shed()


def test_a_saturated_loop_sheds_more_each_sample_up_to_the_cap() -> None:
    loop = FakeLoop()
    shedder = _shedder(loop)
    _samples(shedder, loop, 4, busy=1.0, lag=0.0)
    assert shedder.fraction == pytest.approx(4 * POLICY.step_up)
    _samples(shedder, loop, 100, busy=1.0, lag=0.0)
    assert shedder.fraction == POLICY.max_fraction


def test_a_late_timer_counts_as_saturation_even_when_the_cpu_is_shared() -> None:
    loop = FakeLoop()
    shedder = _shedder(loop)
    _samples(shedder, loop, 3, busy=0.6, lag=POLICY.lag_high * 2)
    assert shedder.fraction == pytest.approx(3 * POLICY.step_up)


def test_shedding_backs_off_once_there_is_room_and_holds_in_between() -> None:
    loop = FakeLoop()
    shedder = _shedder(loop)
    _samples(shedder, loop, 10, busy=1.0, lag=0.0)
    high = shedder.fraction
    _samples(shedder, loop, 5, busy=0.93, lag=0.0)  # between the thresholds: hold
    assert shedder.fraction == high
    _samples(shedder, loop, 5, busy=0.5, lag=0.0)
    assert shedder.fraction == pytest.approx(high - 5 * POLICY.step_down)
    _samples(shedder, loop, 100, busy=0.5, lag=0.0)
    assert shedder.fraction == 0.0


@given(st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1)), max_size=200))
def test_the_fraction_stays_within_bounds(samples: list[tuple[float, float]]) -> None:
    loop = FakeLoop()
    shedder = _shedder(loop)
    for busy, lag in samples:
        loop.run(POLICY.interval, busy)
        shedder.sample(lag)
        assert 0.0 <= shedder.fraction <= POLICY.max_fraction


def test_should_shed_draws_against_the_fraction_and_counts() -> None:
    loop = FakeLoop()
    shedder = _shedder(loop, draws=[0.01, 0.5, 0.04])
    _samples(shedder, loop, 1, busy=1.0, lag=0.0)  # fraction 0.05
    assert [shedder.should_shed() for _ in range(3)] == [True, False, True]
    assert shedder.shed == 2


class FakeTransport:
    """Collects what the protocol writes."""

    def __init__(self) -> None:
        self.written = b""
        self.closed = False

    def write(self, data: bytes) -> None:
        self.written += data

    def close(self) -> None:
        self.closed = True

    def get_write_buffer_size(self) -> int:
        return 0


def _answer(shed_all: bool) -> tuple[bytes, int]:
    calls: list[HttpRequest] = []

    def bid(request: HttpRequest) -> HttpResponse:
        calls.append(request)
        return HttpResponse(200, b'{"id":"1"}')

    loop = FakeLoop()
    shedder = _shedder(loop, draws=[0.0])
    if shed_all:
        _samples(shedder, loop, 1, busy=1.0, lag=0.0)
    state = ServerState(
        {"/bid": {"POST": bid}, "/healthz": {"GET": bid}}, HttpLimits(), {"/bid": SHED}, shedder
    )
    protocol = HttpProtocol(state)
    transport = FakeTransport()
    protocol.connection_made(cast(asyncio.Transport, transport))
    protocol.data_received(b"POST /bid HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
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


def _cgroups(tmp_path: Path, membership: str, files: dict[str, str]) -> float:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    (tmp_path / "self-cgroup").write_text(membership)
    return cpu_allowance(tmp_path, tmp_path / "self-cgroup")


def test_cpu_allowance_reads_a_v2_quota(tmp_path: Path) -> None:
    files = {"task/cpu.max": "50000 100000\n"}
    assert _cgroups(tmp_path, "0::/task\n", files) == 0.5


def test_cpu_allowance_reads_a_v1_quota(tmp_path: Path) -> None:
    files = {"cpu/bench/cpu.cfs_quota_us": "25000\n", "cpu/bench/cpu.cfs_period_us": "100000\n"}
    assert _cgroups(tmp_path, "4:memory:/x\n1:cpu,cpuacct:/bench\n0::/\n", files) == 0.25


def test_no_quota_or_more_than_a_cpu_allows_one_cpu(tmp_path: Path) -> None:
    assert _cgroups(tmp_path, "0::/\n", {"cpu.max": "max 100000\n"}) == 1.0
    assert _cgroups(tmp_path, "0::/big\n", {"big/cpu.max": "400000 100000\n"}) == 1.0
    assert cpu_allowance(tmp_path, tmp_path / "missing") == 1.0


def test_busy_is_measured_against_the_quota() -> None:
    loop = FakeLoop()
    shedder = LoadShedder(POLICY, lambda: loop.wall, lambda: loop.cpu, allowance=lambda: 0.25)
    loop.run(POLICY.interval, busy=0.25)
    shedder.sample(0.0)
    assert shedder.busy == pytest.approx(1.0)
    assert shedder.fraction == pytest.approx(POLICY.step_up)


def test_a_quota_set_after_start_is_picked_up_within_a_second() -> None:
    loop = FakeLoop()
    quota = [1.0]
    shedder = LoadShedder(POLICY, lambda: loop.wall, lambda: loop.cpu, allowance=lambda: quota[0])
    quota[0] = 0.25
    _samples(shedder, loop, 10, busy=0.25, lag=0.0)  # 0.5 s: still measured against 1 CPU
    assert shedder.fraction == 0.0
    _samples(shedder, loop, 11, busy=0.25, lag=0.0)
    assert shedder.busy == pytest.approx(1.0)
    assert shedder.fraction > 0
