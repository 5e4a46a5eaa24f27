"""Shared fixtures: paths to the test data and a running `openbid serve` on loopback."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from openbid.exchange.bidder_process import BidderProcess

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session", autouse=True)
def _events_in_a_temporary_directory(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Bidders started by tests write their event log under the session's temporary directory,
    not ./openbid-events/ in the working tree (tests that look at events pass --events)."""
    os.environ.setdefault("OPENBID_EVENTS", str(tmp_path_factory.mktemp("events")))


@pytest.fixture(scope="session")
def bidder_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BidderProcess]:
    """One `openbid serve` on the demo catalog for the whole session."""
    log = tmp_path_factory.mktemp("bidder") / "serve.log"
    with BidderProcess(["--signing-keys", "e2e:0123456789abcdef0123"], log_path=log) as process:
        yield process
