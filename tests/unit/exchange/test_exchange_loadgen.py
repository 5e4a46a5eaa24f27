"""The load generator against stub bidders: the schedule kept, coordinated omission, timeouts,
errors, notices."""

import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import msgspec
import pytest

from openbid.exchange.bidder_process import free_port
from openbid.exchange.loadgen import BidderUnreachable, RunConfig
from openbid.exchange.profile import Profile, load_profile
from openbid.exchange.simulation import simulate
from openbid.exchange.stats import Stats
from openbid.exchange.stub_bidder import running_stub

Simulate = Callable[..., Stats]


@pytest.fixture(scope="module")
def stub_url() -> Iterator[str]:
    """The bid URL of a stub bidder that answers every request at once with a bid."""
    with running_stub() as stub:
        yield stub.url


@pytest.fixture
def profile() -> Profile:
    """The built-in traffic profile."""
    return load_profile()


@pytest.fixture
def run_simulation(profile: Profile) -> Simulate:
    """Run a simulation against a URL: ``run_simulation(url, rate=..., duration=..., ...)``.

    ``profile`` (if given) replaces the built-in one; ``tmax_ms`` (if given) replaces the
    profile's tmax distribution with that one value.
    """

    def run(
        url: str, *, profile: Profile = profile, tmax_ms: int | None = None, **options: object
    ) -> Stats:
        chosen = profile
        if tmax_ms is not None:
            chosen = msgspec.structs.replace(profile, tmax_ms={tmax_ms: 1.0})
        config = msgspec.convert({"bidder": url, **options}, RunConfig)
        return simulate(config, chosen, [])

    return run


def _adds_up(stats: Stats) -> bool:
    return stats.requests == stats.bids + stats.no_bids + stats.timeouts + stats.errors


def test_2000_per_second_for_5_seconds_sends_10000_requests(
    stub_url: str, run_simulation: Simulate
) -> None:
    """The schedule, measured against a bidder that answers at once: the sender keeps to it."""
    stats = run_simulation(stub_url, rate=2000, duration=5, notices=False, tmax_ms=1000)
    assert stats.requests == pytest.approx(10_000, rel=0.01)
    assert _adds_up(stats)
    assert stats.bids == stats.requests, stats.errors_by_status
    sending = stats.sending_ended - stats.started
    assert stats.requests / max(5.0, sending) == pytest.approx(2000, rel=0.01)
    assert stats.send_lag.get_value_at_percentile(50) < 2000  # microseconds


def test_a_stall_is_charged_to_every_request_due_during_it(run_simulation: Simulate) -> None:
    """Coordinated omission: the bidder stops for 200 ms once, at request 400 of 1,000 (500/s).

    About 100 requests fall due during the stall. Measured from when each was due, the one due
    at its start waits ~200 ms, the j-th after it ~(200 - 2j) ms: the top of the latency
    distribution must show all of them, not just the few requests the connections held.
    """
    rate, stall_ms, requests = 500, 200.0, 1000
    with running_stub(["--stall-after", "400", "--stall-ms", str(stall_ms)]) as stub:
        stats = run_simulation(stub.url, rate=rate, duration=2, notices=False, tmax_ms=2000)
    assert stats.requests == requests
    assert _adds_up(stats)
    assert stats.timeouts == stats.errors == 0
    assert stats.latency_ms(99.9) >= 0.9 * stall_ms
    spacing_ms = 1000 / rate
    for j in (5, 25, 50, 75):
        waited = stall_ms - j * spacing_ms  # the j-th request due after the stall began
        assert stats.latency_ms(100 * (1 - j / requests)) >= 0.85 * waited - 5, j
    assert stats.latency_ms(50) < 50  # and the rest of the run was quick


def test_late_answers_are_timeouts(run_simulation: Simulate) -> None:
    with running_stub(["--stall-after", "100", "--stall-ms", "300"]) as stub:
        stats = run_simulation(stub.url, rate=400, duration=1, notices=False, tmax_ms=100)
    assert _adds_up(stats)
    assert stats.timeouts >= 0.8 * 400 * (0.3 - 0.1)  # due in the stall's first 200 ms
    assert stats.errors == 0
    assert stats.latency_ms(100) >= 250  # the late answers are still measured


def test_give_up_after_the_grace_period(run_simulation: Simulate) -> None:
    with running_stub(["--stall-after", "20", "--stall-ms", "1500"]) as stub:
        stats = run_simulation(
            stub.url, rate=100, duration=0.5, notices=False, tmax_ms=100, grace=0.2
        )
    assert _adds_up(stats)
    assert stats.timeouts >= 25
    assert stats.latency_ms(100) < 1000  # given up at tmax + grace, not waited out


def test_notices_follow_the_auction(
    stub_url: str, profile: Profile, run_simulation: Simulate
) -> None:
    ctr = msgspec.structs.replace(profile.ctr, creatives={"stub-creative": 1.0})
    stats = run_simulation(
        stub_url, rate=200, duration=1.5, profile=msgspec.structs.replace(profile, ctr=ctr)
    )
    outcomes = sum(stats.losses.values())
    assert stats.imps_won > 0
    assert stats.notices["win", "204"] == stats.imps_won
    assert stats.notices["loss", "204"] == outcomes - stats.imps_won
    assert stats.notices["bill", "204"] == stats.renders
    assert 0.8 * stats.imps_won < stats.renders <= stats.imps_won
    assert stats.clicks == stats.renders  # a CTR of 1 for the stub's creative
    assert stats.spend_usd > 0
    # Banner markup: a pixel and a link on the stub's host, an image elsewhere (not fetched).
    banner_renders = stats.notices["impression", "204"]
    assert 0 < banner_renders < stats.renders  # native, video and audio carry no trackers
    assert stats.notices["click", "204"] == banner_renders
    assert stats.trackers_skipped["impression"] == banner_renders


class _Failing(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        body = b'{"error":"overloaded"}'
        self.send_response(503)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def failing_url() -> Iterator[str]:
    """A bidder that answers every request 503."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Failing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/openrtb2/bid"
    server.shutdown()
    server.server_close()


def test_errors_are_counted_by_status(failing_url: str, run_simulation: Simulate) -> None:
    stats = run_simulation(failing_url, rate=100, duration=0.5, connections=4)
    assert stats.requests == 50
    assert stats.errors == 50
    assert stats.errors_by_status == {"503": 50}
    assert _adds_up(stats)


def test_an_unreachable_bidder_is_reported(run_simulation: Simulate) -> None:
    url = f"http://127.0.0.1:{free_port()}/openrtb2/bid"
    with pytest.raises(BidderUnreachable, match=r"cannot connect to http://127\.0\.0\.1"):
        run_simulation(url, rate=10, duration=1)
