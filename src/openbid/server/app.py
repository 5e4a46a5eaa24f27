"""The bid port's routes: OpenRTB bid requests in, bid responses or 204 out, plus health checks."""

from collections.abc import Sequence
from functools import partial

import msgspec

from openbid.bidder.pipeline import Bidder
from openbid.openrtb.codec import InvalidRequest, decode_request
from openbid.server.http import Handler, HttpRequest, HttpResponse, Routes
from openbid.server.notice_routes import NoticeRoutes
from openbid.targeting.features import DEFAULT_EXCHANGE

BID_PATH = "/openrtb2/bid"
OPENRTB_VERSION_HEADER = b"x-openrtb-version"
DEFAULT_OPENRTB_VERSION = b"2.6"
_JSON = msgspec.json.Encoder()


class BidApp:
    """Serves the bidder over HTTP, and its notices when given ``notices``; readiness follows
    the catalog and the shutdown signal."""

    def __init__(
        self, bidder: Bidder, exchanges: Sequence[str] = (), notices: NoticeRoutes | None = None
    ) -> None:
        self.bidder = bidder
        self.exchanges = tuple(exchanges)
        self.notices = notices
        self.stopping = False

    @property
    def ready(self) -> bool:
        """Whether the load balancer should send traffic: a catalog is loaded and not stopping."""
        return self.bidder.snapshot is not None and not self.stopping

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

    def bid(self, request: HttpRequest, exchange: str = DEFAULT_EXCHANGE) -> HttpResponse:
        """``POST /openrtb2/bid[/EXCHANGE]``: 200 with bids, 204 for no bid, 400 if malformed."""
        version = request.headers.get(OPENRTB_VERSION_HEADER, DEFAULT_OPENRTB_VERSION)
        headers = ((OPENRTB_VERSION_HEADER, version),)
        try:
            bid_request = decode_request(request.body)
        except InvalidRequest as error:
            body = _JSON.encode({"error": "invalid bid request", "reason": error.reason})
            return HttpResponse(400, body, headers=headers)
        bidder = self.bidder
        deadline = bidder.deadline(bid_request, request.arrival)
        decision = bidder.bid(bid_request, deadline, exchange=exchange)
        if decision.body is None:
            return HttpResponse(204, headers=headers)
        return HttpResponse(200, decision.body, headers=headers)

    def healthz(self, request: HttpRequest) -> HttpResponse:
        """``GET /healthz``: the process is alive."""
        return HttpResponse(200, b'{"status":"alive"}')

    def readyz(self, request: HttpRequest) -> HttpResponse:
        """``GET /readyz``: 200 when ready for traffic, 503 while loading or draining."""
        snapshot = self.bidder.snapshot
        if self.stopping or snapshot is None:
            state = "stopping" if self.stopping else "loading"
            return HttpResponse(503, _JSON.encode({"status": state}))
        return HttpResponse(200, _JSON.encode({"status": "ready", "catalog": snapshot.version}))
