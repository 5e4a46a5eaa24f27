"""Sends recorded bid requests to a bidder over HTTP and checks each answer as an exchange would."""

import http.client
import json
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import msgspec

from openbid.exchange.validate import bid_response_problems
from openbid.openrtb.codec import InvalidMessage, decode_request, decode_response
from openbid.openrtb.model import Bid

BID_PATH = "/openrtb2/bid"


class Recorded(msgspec.Struct, frozen=True):
    """One request to send: where it came from and its exact bytes."""

    label: str
    body: bytes


class Outcome(msgspec.Struct):
    """What the bidder answered to one request, and what is wrong with the answer."""

    label: str
    status: int | None  # None: no answer in time or the connection failed
    elapsed_ms: float
    detail: str = ""
    currency: str = ""
    bids: list[Bid] = []
    problems: list[str] = []


def read_requests(paths: Iterable[Path]) -> Iterator[Recorded]:
    """Requests from ``.json`` files (one each) and ``.jsonl`` files (a ``request`` per line)."""
    for path in paths:
        if path.suffix == ".jsonl":
            with path.open("rb") as lines:
                for number, line in enumerate(lines, 1):
                    if not line.strip():
                        continue
                    record = json.loads(line)
                    label = f"{path.name}:{number}"
                    if isinstance(record, dict) and "request" in record:
                        label += f" {record.get('adapter', '')}/{record.get('case', '')}"
                        record = record["request"]
                    yield Recorded(label, json.dumps(record).encode())
        else:
            yield Recorded(path.name, path.read_bytes())


def _check(recorded: Recorded, status: int, body: bytes, outcome: Outcome) -> None:
    """Fill in the detail, currency, bids and problems of one answer."""
    if status == 400:
        try:
            outcome.detail = str(json.loads(body).get("reason", ""))
        except (ValueError, AttributeError):
            outcome.problems.append("400 without a JSON reason")
        return
    if status != 200:
        if status != 204:
            outcome.problems.append(f"unexpected status {status}")
        return
    try:
        request = decode_request(recorded.body)
    except InvalidMessage as error:
        outcome.problems.append(f"bid on a request that does not decode: {error.reason}")
        return
    try:
        response = decode_response(body)
    except InvalidMessage as error:
        outcome.problems.append(f"200 with an invalid bid response: {error.reason}")
        return
    outcome.currency = response.cur or "USD"
    outcome.bids = [bid for seatbid in response.seatbid or () for bid in seatbid.bid or ()]
    outcome.problems += bid_response_problems(request, response)
    if not outcome.bids:
        outcome.problems.append("200 without any bid")


class Replayer:
    """Posts requests one at a time over a keep-alive connection, reconnecting when needed."""

    def __init__(self, bidder_url: str, timeout: float = 2.0) -> None:
        parts = urlsplit(bidder_url)
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or 80
        self._path = parts.path if parts.path not in ("", "/") else BID_PATH
        self._timeout = timeout
        self._conn: http.client.HTTPConnection | None = None

    def send(self, recorded: Recorded) -> Outcome:
        """Post one request and check the answer."""
        if self._conn is None:
            self._conn = http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)
        started = time.perf_counter()
        headers = {"Content-Type": "application/json", "x-openrtb-version": "2.6"}
        try:
            self._conn.request("POST", self._path, body=recorded.body, headers=headers)
            answer = self._conn.getresponse()
            body = answer.read()
        except (OSError, http.client.HTTPException) as error:
            self.close()
            elapsed = (time.perf_counter() - started) * 1000
            return Outcome(recorded.label, None, elapsed, f"no answer: {error!r}")
        elapsed = (time.perf_counter() - started) * 1000
        if answer.will_close:
            self.close()
        outcome = Outcome(recorded.label, answer.status, elapsed)
        _check(recorded, answer.status, body, outcome)
        return outcome

    def close(self) -> None:
        """Drop the connection."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def replay(bidder_url: str, requests: Iterable[Recorded], timeout: float = 2.0) -> list[Outcome]:
    """Send every request to the bidder and return each outcome, in order."""
    replayer = Replayer(bidder_url, timeout)
    try:
        return [replayer.send(recorded) for recorded in requests]
    finally:
        replayer.close()


def is_failure(outcome: Outcome) -> bool:
    """A 5xx, an unexpected status, no answer at all, or an invalid bid response."""
    return outcome.status not in (200, 204, 400) or bool(outcome.problems)
