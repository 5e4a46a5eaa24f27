"""The HTTP client pieces: URLs split into origin and target, request bytes, giving up."""

import pytest

from openbid.exchange.connection import Failure, Origin, Pool, get, post, split_url


def test_split_url() -> None:
    assert split_url("http://127.0.0.1:8080/notice/win?p=1.5&r=0") == (
        Origin(False, "127.0.0.1", 8080),
        "/notice/win?p=1.5&r=0",
    )
    assert split_url("https://bid.example") == (Origin(True, "bid.example", 443), "/")
    assert Origin.of("http://[::1]/bid").authority == "[::1]:80"
    for bad in ("ftp://x/y", "/relative", "http://"):
        with pytest.raises(ValueError, match="not an http"):
            split_url(bad)


def test_request_bytes() -> None:
    origin = Origin(False, "127.0.0.1", 9000)
    assert post(origin, "/openrtb2/bid", b"{}") == (
        b"POST /openrtb2/bid HTTP/1.1\r\nHost: 127.0.0.1:9000\r\nContent-Type: application/json\r\n"
        b"x-openrtb-version: 2.6\r\nContent-Length: 2\r\n\r\n{}"
    )
    assert get(origin, "/n?a=1") == b"GET /n?a=1 HTTP/1.1\r\nHost: 127.0.0.1:9000\r\n\r\n"


def test_giving_up_lets_a_callback_queue_another_request() -> None:
    """A given-up notice's callback may send the next one on the same pool, mid-sweep."""
    pool = Pool(Origin(False, "127.0.0.1", 9), size=0)  # no connection: requests only wait
    outcomes: list[tuple[str, int]] = []

    def then_queue_another(status: int, body: bytes) -> None:
        outcomes.append(("first", status))
        pool.request(b"second", lambda status, body: outcomes.append(("second", status)), 5.0)

    pool.request(b"first", then_queue_another, 1.0)
    pool.request(b"later", lambda status, body: outcomes.append(("later", status)), 9.0)
    pool.sweep(now=2.0)
    assert outcomes == [("first", Failure.ABANDONED)]
    assert pool.in_flight == 2  # "later" and "second" still wait, in that order
    pool.sweep(now=6.0)
    assert outcomes[-1] == ("second", Failure.ABANDONED)
    pool.close()
    assert outcomes[-1] == ("later", Failure.CONNECT)
