"""A bidder that answers at once, to measure the exchange simulator rather than a bidder.

It bids on every impression (price: 1.2 x the floor + 0.50, in the request's first currency),
with ``nurl``/``burl``/``lurl`` pointing back at itself; banner markup has an impression pixel and
a click link on itself too (and an image elsewhere). Every ``GET`` but ``/readyz`` answers 204.
``--stall-after N --stall-ms MS`` blocks its event loop once, before answering the N-th bid
request, like a stop-the-world pause: the test that the simulator sees coordinated omission.

Run: ``python -m openbid.exchange.stub_bidder --port 0`` (prints ``listening on HOST:PORT``).
"""

import argparse
import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from typing import NamedTuple, cast

import httptools
import msgspec

from openbid.exchange import eventloop

READY_PATH = b"/readyz"


class _Format(msgspec.Struct):
    w: int | None = None
    h: int | None = None


class _Banner(msgspec.Struct):
    format: list[_Format] | None = None
    w: int | None = None
    h: int | None = None


class _Imp(msgspec.Struct):
    id: str
    banner: _Banner | None = None
    video: dict[str, object] | None = None
    audio: dict[str, object] | None = None
    native: dict[str, object] | None = None
    bidfloor: float | None = None


class _Request(msgspec.Struct):
    id: str
    imp: list[_Imp]
    cur: list[str] | None = None


class _Bid(msgspec.Struct, omit_defaults=True):
    id: str
    impid: str
    price: float
    nurl: str
    burl: str
    lurl: str
    adm: str
    crid: str
    cid: str
    adomain: list[str]
    mtype: int
    w: int | None = None
    h: int | None = None


class _SeatBid(msgspec.Struct):
    seat: str
    bid: list[_Bid]


class _Response(msgspec.Struct):
    id: str
    seatbid: list[_SeatBid]
    cur: str


_decode = msgspec.json.Decoder(_Request).decode
_encode = msgspec.json.Encoder().encode


def _answer(status: bytes, body: bytes = b"") -> bytes:
    head = b"HTTP/1.1 %s\r\nContent-Length: %d\r\n" % (status, len(body))
    if body:
        head += b"Content-Type: application/json\r\n"
    return head + b"\r\n" + body


def _bid(imp: _Imp, notice_base: str) -> _Bid:
    """One valid-looking bid for the impression's first media type."""
    w = h = None
    if imp.banner is not None:
        mtype = 1
        adm = (
            f'<a href="{notice_base}/notice/click"><img src="https://cdn.example/stub.png">'
            f'<img src="{notice_base}/notice/imp?p=${{AUCTION_PRICE}}" width="1" height="1"></a>'
        )
        sizes = imp.banner.format or [_Format(w=imp.banner.w, h=imp.banner.h)]
        w, h = sizes[0].w, sizes[0].h
    elif imp.video is not None:
        mtype, adm = 2, "<VAST version='3.0'/>"
    elif imp.audio is not None:
        mtype, adm = 3, "<VAST version='3.0'/>"
    else:
        mtype, adm = 4, '{"native":{"assets":[]}}'
    query = "?p=${AUCTION_PRICE}"
    return _Bid(
        id=f"b-{imp.id}",
        impid=imp.id,
        price=round((imp.bidfloor or 0.0) * 1.2 + 0.5, 4),
        nurl=f"{notice_base}/notice/win{query}",
        burl=f"{notice_base}/notice/bill{query}",
        lurl=f"{notice_base}/notice/loss{query}&r=${{AUCTION_LOSS}}",
        adm=adm,
        crid="stub-creative",
        cid="stub-campaign",
        adomain=["stub.example"],
        mtype=mtype,
        w=w,
        h=h,
    )


class _Stall:
    """Counts bid requests and blocks the loop once, before the chosen one."""

    def __init__(self, after: int, seconds: float) -> None:
        self.remaining = after
        self.seconds = seconds

    def tick(self) -> None:
        """Count one bid request; sleep (blocking everything) when the count runs out."""
        self.remaining -= 1
        if self.remaining == 0 and self.seconds > 0:
            time.sleep(self.seconds)


class _Connection(asyncio.Protocol):
    """One keep-alive client connection: answers bids, notices and readiness."""

    def __init__(self, notice_base: str, stall: _Stall) -> None:
        self._notice_base = notice_base
        self._stall = stall
        self._parser = httptools.HttpRequestParser(self)
        self._transport: asyncio.Transport | None = None
        self._url = b""
        self._body: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError:
            if self._transport is not None:
                self._transport.close()

    def on_url(self, url: bytes) -> None:
        self._url = url

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        body = b"".join(self._body)
        self._body.clear()
        if self._transport is None:
            return
        self._transport.write(self._respond(body))
        if not self._parser.should_keep_alive():
            self._transport.close()

    def _respond(self, body: bytes) -> bytes:
        if self._url == READY_PATH:
            return _answer(b"200 OK", b'{"ready":true}')
        if self._parser.get_method() == b"GET":
            return _answer(b"204 No Content")
        self._stall.tick()
        try:
            request = _decode(body)
        except msgspec.DecodeError:
            return _answer(b"400 Bad Request", b'{"error":"bad request"}')
        bids = [_bid(imp, self._notice_base) for imp in request.imp]
        currency = request.cur[0] if request.cur else "USD"
        response = _Response(request.id, [_SeatBid("stub", bids)], currency)
        return _answer(b"200 OK", _encode(response))


async def _serve(host: str, port: int, stall: _Stall) -> None:
    loop = asyncio.get_running_loop()
    holder: list[str] = []
    server = await loop.create_server(lambda: _Connection(holder[0], stall), host, port)
    bound: int = server.sockets[0].getsockname()[1]
    holder.append(f"http://{host}:{bound}")
    print(f"listening on {host}:{bound}", flush=True)
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with server:
        await stop.wait()


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the command line and serve until SIGTERM or SIGINT."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--stall-after", type=int, default=0, help="stall before bid request N")
    parser.add_argument("--stall-ms", type=float, default=0.0, help="how long the stall lasts")
    args = parser.parse_args(argv)
    eventloop.run(_serve(args.host, args.port, _Stall(args.stall_after, args.stall_ms / 1000)))


class RunningStub(NamedTuple):
    """A stub bidder child process: its bid URL and process id."""

    url: str
    pid: int


@contextlib.contextmanager
def running_stub(args: Sequence[str] = (), *, cpu: int | None = None) -> Iterator[RunningStub]:
    """Run the stub bidder as a child process, pinned to ``cpu`` if given."""
    process = subprocess.Popen(
        [sys.executable, "-m", "openbid.exchange.stub_bidder", *args],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        if cpu is not None:
            os.sched_setaffinity(process.pid, {cpu})
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.startswith("listening on "):
            raise RuntimeError(f"the stub bidder did not start: {line!r}")
        address = line.removeprefix("listening on ").strip()
        yield RunningStub(f"http://{address}/openrtb2/bid", process.pid)
    finally:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


if __name__ == "__main__":
    main()
