"""Baseline 1: the least a bidder can do on uvloop + httptools + msgspec.

It decodes the request's id and impression ids and answers one fixed bid for the first
impression: the ceiling any Python bidder on this stack can reach. HTTP/1.1 keep-alive and
Content-Length are honoured; pipelining, chunked bodies and timeouts are not needed here.

Run: ``python bench/echo_bidder.py --port 8081`` (SIGTERM or SIGINT stops it).
"""

import argparse
import asyncio
import signal
from typing import cast

import httptools
import msgspec
import uvloop

BID_PATH = b"/openrtb2/bid"
READY_PATH = b"/readyz"
ADM = (
    '<a href="https://acme-outdoor.example/spring"><img src="https://cdn.acme-outdoor.example/'
    '300x250.jpg" width="300" height="250" alt="Acme spring gear"></a>'
)


class Imp(msgspec.Struct):
    """The one field of an impression the echo bidder reads."""

    id: str


class BidRequest(msgspec.Struct):
    """The request fields the echo bidder reads; the rest of the body is skipped by msgspec."""

    id: str
    imp: list[Imp]


class Bid(msgspec.Struct, omit_defaults=True):
    """One bid of the fixed answer."""

    id: str
    impid: str
    price: float
    adm: str
    adomain: list[str]
    cid: str
    crid: str
    w: int
    h: int
    mtype: int


class SeatBid(msgspec.Struct):
    """The seat's bids."""

    bid: list[Bid]
    seat: str


class BidResponse(msgspec.Struct):
    """The OpenRTB response: one seat, one bid."""

    id: str
    seatbid: list[SeatBid]
    cur: str


_decode = msgspec.json.Decoder(BidRequest).decode
_encode = msgspec.json.Encoder().encode


def _head(status: bytes, length: int, keep_alive: bool) -> bytes:
    """Status line and headers of a JSON response."""
    connection = b"" if keep_alive else b"Connection: close\r\n"
    return b"HTTP/1.1 %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n%s\r\n" % (
        status,
        length,
        connection,
    )


def answer(body: bytes) -> tuple[bytes, bytes]:
    """Status and JSON body for a bid request body: a bid, 204 without imps, 400 if malformed."""
    try:
        request = _decode(body)
    except msgspec.DecodeError:
        return b"400 Bad Request", b'{"error":"invalid bid request"}'
    if not request.imp:
        return b"204 No Content", b""
    bid = Bid(
        id="1",
        impid=request.imp[0].id,
        price=1.8,
        adm=ADM,
        adomain=["acme-outdoor.example"],
        cid="cmp-acme-spring",
        crid="cr-acme-300x250",
        w=300,
        h=250,
        mtype=1,
    )
    response = BidResponse(id=request.id, seatbid=[SeatBid([bid], "echo")], cur="USD")
    return b"200 OK", _encode(response)


class EchoProtocol(asyncio.Protocol):
    """One HTTP/1.1 connection, each request answered as soon as its body is complete."""

    def __init__(self) -> None:
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.url = b""
        self.body: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Keep the transport to write answers to."""
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        """Feed the parser; a malformed request gets a 400 and the connection is closed."""
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            if self.transport is not None:
                body = b'{"error":"malformed HTTP"}'
                self.transport.write(_head(b"400 Bad Request", len(body), False) + body)
                self.transport.close()

    def on_message_begin(self) -> None:
        """A new request starts: forget the previous one."""
        self.url = b""
        self.body = []

    def on_url(self, url: bytes) -> None:
        """Collect the request target (it may arrive in pieces)."""
        self.url += url

    def on_body(self, body: bytes) -> None:
        """Collect the body (it may arrive in pieces)."""
        self.body.append(body)

    def on_message_complete(self) -> None:
        """Answer the request that just completed."""
        transport = self.transport
        if transport is None:
            return
        method = self.parser.get_method()
        path = self.url.partition(b"?")[0]
        if path == BID_PATH and method == b"POST":
            status, body = answer(b"".join(self.body))
        elif path == READY_PATH and method == b"GET":
            status, body = b"200 OK", b'{"status":"ready"}'
        else:
            status, body = b"404 Not Found", b'{"error":"not found"}'
        keep_alive = bool(self.parser.should_keep_alive())
        transport.write(_head(status, len(body), keep_alive) + body)
        if not keep_alive:
            transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        """Drop the transport."""
        self.transport = None


async def serve(host: str, port: int) -> None:
    """Listen until SIGTERM or SIGINT."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    server = await loop.create_server(EchoProtocol, host, port, backlog=2048)
    await stop.wait()
    server.close()
    await server.wait_closed()


def main() -> None:
    """Parse the command line and serve."""
    parser = argparse.ArgumentParser(description="The echo bidder baseline.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    args = parser.parse_args()
    uvloop.run(serve(args.host, args.port))


if __name__ == "__main__":
    main()
