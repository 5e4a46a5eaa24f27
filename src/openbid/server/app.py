"""The bid port's routes: OpenRTB bid requests in, bid responses or 204 out, plus health checks.

With an observer, each answer is counted, recorded in the event log and kept for the admin API
(:mod:`openbid.bidder.observe`); readiness follows the catalog, the shutdown signal and the
admin API's drain switch.
"""

from collections.abc import Sequence
from functools import partial

import msgspec

from openbid.admin.readiness import Readiness
from openbid.bidder.observe import BidObserver
from openbid.bidder.pipeline import Bidder
from openbid.openrtb.codec import InvalidRequest, decode_request
from openbid.server.http import Handler, HttpRequest, HttpResponse, Routes
from openbid.server.notice_routes import NoticeRoutes
from openbid.targeting.features import DEFAULT_EXCHANGE

BID_PATH = "/openrtb2/bid"
OPENRTB_VERSION_HEADER = b"x-openrtb-version"
NOBID_REASON_HEADER = b"X-Openbid-Nobid"
SHED_ANSWER = HttpResponse(204, headers=((NOBID_REASON_HEADER, b"overloaded"),))
DEFAULT_OPENRTB_VERSION = b"2.6"
_JSON = msgspec.json.Encoder()


class BidApp:
    """Serves the bidder over HTTP, and its notices when given ``notices``; tells ``observer``
    of every answer."""

    def __init__(
        self,
        bidder: Bidder,
        exchanges: Sequence[str] = (),
        notices: NoticeRoutes | None = None,
        observer: BidObserver | None = None,
        readiness: Readiness | None = None,
    ) -> None:
        self.bidder = bidder
        self.exchanges = tuple(exchanges)
        self.notices = notices
        self.observer = observer
        self.readiness = readiness or Readiness()
        self.stopping = False

    @property
    def ready(self) -> bool:
        """Whether the load balancer should send traffic: a catalog is loaded, not stopping,
        not drained."""
        return self.bidder.snapshot is not None and not self.stopping and self.readiness.accepting

    def stop(self) -> None:
        """Fail readiness at once so the load balancer drains this instance."""
        self.stopping = True

    def routes(self) -> Routes:
        """Path -> method -> handler: ``/openrtb2/bid`` for the default exchange, and
        ``/openrtb2/bid/NAME`` for each named exchange, so targeting can tell them apart."""
        routes: dict[str, dict[str, Handler]] = {
            BID_PATH: {"POST": self.bid},
            "/healthz": {"GET": self.healthz},
            "/readyz": {"GET": self.readyz},
        }
        for name in self.exchanges:
            routes[f"{BID_PATH}/{name}"] = {"POST": partial(self.bid, exchange=name)}
        if self.notices is not None:
            routes.update(self.notices.routes())
        return routes

    def shed_answers(self) -> dict[str, HttpResponse]:
        """What each bid path answers a request shed under overload: a no-bid, undecoded."""
        return {path: SHED_ANSWER for path in self.routes() if path.startswith(BID_PATH)}

    def bid(self, request: HttpRequest, exchange: str = DEFAULT_EXCHANGE) -> HttpResponse:
        """``POST /openrtb2/bid[/EXCHANGE]``: 200 with bids, 204 for no bid, 400 if malformed."""
        version = request.headers.get(OPENRTB_VERSION_HEADER, DEFAULT_OPENRTB_VERSION)
        headers = ((OPENRTB_VERSION_HEADER, version),)
        observer = self.observer
        try:
            bid_request = decode_request(request.body)
        except InvalidRequest as error:
            body = _JSON.encode({"error": "invalid bid request", "reason": error.reason})
            if observer is not None:
                observer.invalid(exchange, request.body, request.arrival, body)
            return HttpResponse(400, body, headers=headers)
        bidder = self.bidder
        deadline = bidder.deadline(bid_request, request.arrival)
        try:
            decision = bidder.bid(bid_request, deadline, exchange=exchange)
        except Exception:
            if observer is not None:
                observer.failed(exchange)
            raise
        if observer is not None:
            observer.answered(request.body, bid_request, exchange, decision, request.arrival)
        if decision.body is None:
            return HttpResponse(204, headers=headers)
        return HttpResponse(200, decision.body, headers=headers)

    def healthz(self, request: HttpRequest) -> HttpResponse:
        """``GET /healthz``: the process is alive."""
        return HttpResponse(200, b'{"status":"alive"}')

    def readyz(self, request: HttpRequest) -> HttpResponse:
        """``GET /readyz``: 200 when ready for traffic, 503 while loading or draining."""
        snapshot = self.bidder.snapshot
        if self.stopping or snapshot is None or not self.readiness.accepting:
            state = "stopping" if self.stopping else "loading" if snapshot is None else "draining"
            return HttpResponse(503, _JSON.encode({"status": state}))
        return HttpResponse(200, _JSON.encode({"status": "ready", "catalog": snapshot.version}))
