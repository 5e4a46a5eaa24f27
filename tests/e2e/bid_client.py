"""One bid request over a fresh connection to a live `openbid serve`, for the e2e tests."""

import http.client
from pathlib import Path

from openbid.exchange.bidder_process import LOOPBACK

SIMPLE_BANNER = (
    Path(__file__).parents[1] / "fixtures/openrtb/bid-request/2.6/simple-banner.json"
).read_bytes()
"""The OpenRTB 2.6 spec's simple banner request."""


def post_bid(port: int, body: bytes = SIMPLE_BANNER) -> int:
    """POST ``body`` to ``/openrtb2/bid`` on a new connection; the answer's status."""
    conn = http.client.HTTPConnection(LOOPBACK, port, timeout=5)
    try:
        conn.request("POST", "/openrtb2/bid", body=body)
        answer = conn.getresponse()
        answer.read()
        return answer.status
    finally:
        conn.close()
