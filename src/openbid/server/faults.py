"""A fault switch for bad-canary tests: bid routes that answer slowly or with errors.

``OPENBID_FAULTS="latency_ms=30,error_rate=0.2"`` makes every bid route (``/openrtb2/bid`` and
``/openrtb2/bid/NAME``) wait ``latency_ms`` before it handles a request — holding the event
loop, as a version that burns CPU would, so the request's measured latency and deadline include
it — and answer 500 to a share ``error_rate`` of requests, counted as the bidder's own errors.
Unset or empty, the routes are returned as they are. It exists to test canary analysis; never
set it in production.
"""

import os
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from openbid.server.app import BID_PATH
from openbid.server.http import Handler, HttpRequest, HttpResponse, Routes
from openbid.targeting.features import DEFAULT_EXCHANGE

FAULTS_ENV = "OPENBID_FAULTS"
FAULT_HEADER = b"X-Openbid-Fault"


class FailureCounter(Protocol):
    """Where an injected error is counted (the bid observer)."""

    def failed(self, exchange: str) -> None:
        """A request answered 500."""


@dataclass(frozen=True)
class Faults:
    """What to inject: a delay before each bid request, and a share of 500 answers."""

    latency_ms: float = 0.0
    error_rate: float = 0.0

    def __post_init__(self) -> None:
        if self.latency_ms < 0:
            raise ValueError(f"latency_ms must not be negative, not {self.latency_ms:g}")
        if not 0 <= self.error_rate <= 1:
            raise ValueError(f"error_rate must be between 0 and 1, not {self.error_rate:g}")

    @property
    def active(self) -> bool:
        """Whether anything is injected at all."""
        return self.latency_ms > 0 or self.error_rate > 0

    @classmethod
    def parse(cls, spec: str) -> "Faults":
        """``latency_ms=30,error_rate=0.2`` (either, both, or nothing) into faults."""
        values: dict[str, float] = {}
        for item in (part.strip() for part in spec.split(",")):
            if not item:
                continue
            name, sign, text = item.partition("=")
            name = name.strip()
            if not sign or name not in ("latency_ms", "error_rate"):
                raise ValueError(f"expected latency_ms=N or error_rate=F, not {item!r}")
            try:
                values[name] = float(text)
            except ValueError:
                raise ValueError(f"{name} needs a number, not {text.strip()!r}") from None
        return cls(**values)


def _exchange(path: str) -> str:
    """The exchange a bid path serves (``/openrtb2/bid`` is the default one)."""
    return path[len(BID_PATH) + 1 :] if path != BID_PATH else DEFAULT_EXCHANGE


def faulty(
    handler: Handler,
    faults: Faults,
    exchange: str,
    counter: FailureCounter | None,
    draw: Callable[[], float],
    sleep: Callable[[float], None],
) -> Handler:
    """``handler`` with ``faults`` injected."""
    delay = faults.latency_ms / 1000
    error_rate = faults.error_rate
    error = HttpResponse(500, b'{"error":"injected fault"}', headers=((FAULT_HEADER, b"error"),))

    def handle(request: HttpRequest) -> HttpResponse:
        if delay > 0:
            sleep(delay)
        if error_rate > 0 and draw() < error_rate:
            if counter is not None:
                counter.failed(exchange)
            return error
        return handler(request)

    return handle


def with_faults(
    routes: Routes,
    counter: FailureCounter | None,
    env: Mapping[str, str] | None = None,
    draw: Callable[[], float] = random.random,
    sleep: Callable[[float], None] = time.sleep,
) -> Routes:
    """``routes`` with the faults ``OPENBID_FAULTS`` asks for on the bid paths; exits with a
    message when the variable is malformed."""
    spec = (os.environ if env is None else env).get(FAULTS_ENV, "")
    try:
        faults = Faults.parse(spec)
    except ValueError as error:
        raise SystemExit(f"{FAULTS_ENV}: {error}") from None
    if not faults.active:
        return routes
    wrapped: dict[str, Mapping[str, Handler]] = {}
    for path, methods in routes.items():
        if path == BID_PATH or path.startswith(BID_PATH + "/"):
            exchange = _exchange(path)
            wrapped[path] = {
                method: faulty(handler, faults, exchange, counter, draw, sleep)
                for method, handler in methods.items()
            }
        else:
            wrapped[path] = methods
    return wrapped
