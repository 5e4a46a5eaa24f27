"""The bid port's routes: OpenRTB bid requests in, bid responses or 204 out, plus health checks."""

import msgspec

from openbid.bidder.pipeline import Bidder
from openbid.openrtb.codec import InvalidRequest, decode_request
from openbid.server.http import HttpRequest, HttpResponse, Routes

OPENRTB_VERSION_HEADER = b"x-openrtb-version"
DEFAULT_OPENRTB_VERSION = b"2.6"
_JSON = msgspec.json.Encoder()


class BidApp:
    """Serves the bidder over HTTP; readiness follows the catalog and the shutdown signal."""

    def __init__(self, bidder: Bidder) -> None:
        self.bidder = bidder
        self.stopping = False

    @property
    def ready(self) -> bool:
        """Whether the load balancer should send traffic: a catalog is loaded and not stopping."""
        return self.bidder.snapshot is not None and not self.stopping

    def stop(self) -> None:
        """Fail readiness at once so the load balancer drains this instance."""
        self.stopping = True

    def routes(self) -> Routes:
        """Path -> method -> handler for the HTTP listener."""
        return {
            "/openrtb2/bid": {"POST": self.bid},
            "/healthz": {"GET": self.healthz},
            "/readyz": {"GET": self.readyz},
        }

    def bid(self, request: HttpRequest) -> HttpResponse:
        """``POST /openrtb2/bid``: 200 with bids, 204 for no bid, 400 for a malformed request."""
        version = request.headers.get(OPENRTB_VERSION_HEADER, DEFAULT_OPENRTB_VERSION)
        headers = ((OPENRTB_VERSION_HEADER, version),)
        try:
            bid_request = decode_request(request.body)
        except InvalidRequest as error:
            body = _JSON.encode({"error": "invalid bid request", "reason": error.reason})
            return HttpResponse(400, body, headers=headers)
        bidder = self.bidder
        decision = bidder.bid(bid_request, bidder.deadline(bid_request, request.arrival))
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
