"""The fault switch: OPENBID_FAULTS slows and breaks the bid routes, and only them."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openbid.server.faults import FAULTS_ENV, Faults, with_faults
from openbid.server.http import Handler, HttpRequest, HttpResponse, Routes


def _ok(request: HttpRequest) -> HttpResponse:
    return HttpResponse(204)


ROUTES: Routes = {
    "/openrtb2/bid": {"POST": _ok},
    "/openrtb2/bid/acme": {"POST": _ok},
    "/healthz": {"GET": _ok},
}


def _request(path: str) -> HttpRequest:
    return HttpRequest("POST", path, "", {}, b"{}", 0.0)


class Counter:
    def __init__(self) -> None:
        self.failed_on: list[str] = []

    def failed(self, exchange: str) -> None:
        self.failed_on.append(exchange)


def _handler(routes: Routes, path: str) -> Handler:
    return next(iter(routes[path].values()))


def test_parse_reads_both_faults_and_ignores_blanks() -> None:
    assert Faults.parse(" latency_ms=30 , error_rate=0.2,") == Faults(30.0, 0.2)
    assert Faults.parse("") == Faults()
    assert not Faults.parse("").active
    assert Faults.parse("error_rate=1").active


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("latency=3", "expected latency_ms=N"),
        ("latency_ms", "expected latency_ms=N"),
        ("latency_ms=fast", "needs a number"),
        ("error_rate=1.5", "between 0 and 1"),
        ("latency_ms=-1", "must not be negative"),
    ],
)
def test_parse_rejects_what_it_cannot_read(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Faults.parse(spec)


def test_without_the_variable_the_routes_are_unchanged() -> None:
    assert with_faults(ROUTES, None, env={}) is ROUTES
    assert with_faults(ROUTES, None, env={FAULTS_ENV: " "}) is ROUTES


def test_a_malformed_variable_exits_with_a_message() -> None:
    with pytest.raises(SystemExit, match="OPENBID_FAULTS: expected"):
        with_faults(ROUTES, None, env={FAULTS_ENV: "slow"})


def test_latency_is_added_before_every_bid_request_and_not_to_health_checks() -> None:
    slept: list[float] = []
    routes = with_faults(ROUTES, None, env={FAULTS_ENV: "latency_ms=30"}, sleep=slept.append)
    assert _handler(routes, "/openrtb2/bid")(_request("/openrtb2/bid")).status == 204
    assert _handler(routes, "/openrtb2/bid/acme")(_request("/openrtb2/bid/acme")).status == 204
    assert _handler(routes, "/healthz")(_request("/healthz")).status == 204
    assert slept == [0.03, 0.03]


def test_errors_answer_500_and_are_counted_for_their_exchange() -> None:
    draws = iter([0.1, 0.5, 0.19])
    counter = Counter()
    routes = with_faults(
        ROUTES, counter, env={FAULTS_ENV: "error_rate=0.2"}, draw=lambda: next(draws)
    )
    answers = [
        _handler(routes, "/openrtb2/bid")(_request("/openrtb2/bid")).status,
        _handler(routes, "/openrtb2/bid")(_request("/openrtb2/bid")).status,
        _handler(routes, "/openrtb2/bid/acme")(_request("/openrtb2/bid/acme")).status,
    ]
    assert answers == [500, 204, 500]
    assert counter.failed_on == ["default", "acme"]


@given(st.floats(min_value=0, max_value=1), st.floats(min_value=0, max_value=0.999999))
def test_a_request_fails_exactly_when_its_draw_is_below_the_rate(rate: float, draw: float) -> None:
    routes = with_faults(ROUTES, None, env={FAULTS_ENV: f"error_rate={rate!r}"}, draw=lambda: draw)
    status = _handler(routes, "/openrtb2/bid")(_request("/openrtb2/bid")).status
    assert status == (500 if draw < rate else 204)
