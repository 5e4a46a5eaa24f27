"""The listener holds at most ``max_connections`` client connections; the rest are closed."""

import asyncio

from openbid.server.http import HttpLimits, HttpRequest, HttpResponse
from openbid.server.listener import start

LIMIT = 5
REQUEST = b"GET /ping HTTP/1.1\r\nHost: t\r\n\r\n"


def _pong(request: HttpRequest) -> HttpResponse:
    return HttpResponse(200, b"pong", b"text/plain")


async def _answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bytes:
    """Send one request; the status line, or b"" when the server closed the connection."""
    writer.write(REQUEST)
    try:
        await writer.drain()
        response = await asyncio.wait_for(reader.readuntil(b"pong"), 5)
    except (ConnectionError, asyncio.IncompleteReadError):
        return b""
    return response.split(b"\r\n", 1)[0]


async def _connections_over_the_bound() -> tuple[list[bytes], list[bytes], int, list[bytes]]:
    server = await start(
        {"/ping": {"GET": _pong}}, "127.0.0.1", 0, HttpLimits(max_connections=LIMIT)
    )
    try:
        held = [await asyncio.open_connection("127.0.0.1", server.port) for _ in range(LIMIT)]
        for reader, writer in held:  # every held connection is registered before the extras
            await _answer(reader, writer)
        extra = [await asyncio.open_connection("127.0.0.1", server.port) for _ in range(3)]
        extra_answers = [await _answer(r, w) for r, w in extra]
        held_answers = [await _answer(r, w) for r, w in held]
        open_now = server.connections
        for _, writer in held[:2]:
            writer.close()
        await asyncio.sleep(0.1)
        later = await asyncio.open_connection("127.0.0.1", server.port)
        later_answers = [await _answer(*later)]
        for _, writer in [*held[2:], *extra, later]:
            writer.close()
        return held_answers, extra_answers, open_now, later_answers
    finally:
        await server.shutdown(1.0)


def test_connections_beyond_the_bound_are_closed_and_the_rest_served() -> None:
    held, extra, open_now, later = asyncio.run(_connections_over_the_bound())
    assert held == [b"HTTP/1.1 200 OK"] * LIMIT
    assert extra == [b""] * 3
    assert open_now == LIMIT
    assert later == [b"HTTP/1.1 200 OK"], "a freed slot takes a new connection"
