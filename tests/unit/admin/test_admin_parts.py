"""The small parts of the admin API: ring buffer, live tap, redaction, token check, server."""

import asyncio
import json
import urllib.error
import urllib.request

import pytest
from admin_fixtures import AUTH, TOKEN, demo_context

from openbid.admin.app import create_admin_app
from openbid.admin.auth import token_matches
from openbid.admin.redact import redact
from openbid.admin.ring import RequestRing
from openbid.admin.server import AdminServer
from openbid.admin.tap import LiveTap


def test_ring_keeps_the_latest_sampled_requests_oldest_first() -> None:
    ring = RequestRing(size=3, every=2)
    for index in range(10):
        ring.record(str(index).encode(), "default", float(index))
    assert ring.seen == 10
    assert [entry.body for entry in ring.latest(10)] == [b"5", b"7", b"9"]
    assert [entry.body for entry in ring.latest(2)] == [b"7", b"9"]
    assert ring.latest(0) == []
    with pytest.raises(ValueError, match="at least 1"):
        RequestRing(size=0)


def test_tap_disarms_itself_after_count() -> None:
    tap = LiveTap()

    async def scenario() -> int:
        capture = asyncio.create_task(tap.capture(2, timeout=5))
        await asyncio.sleep(0)
        for index in range(3):
            if tap.armed:
                tap.offer("default", b"{}", 204, str(index).encode())
        return len(await capture)

    assert asyncio.run(scenario()) == 2
    assert tap.armed is False


def test_redaction_at_any_depth() -> None:
    shown = redact(
        {
            "admin_token": "t",
            "nested": {"api_key": "k", "url": "redis://:pw@cache:6379/0", "n": 1},
            "empty_secret": "",
            "plain": "https://example.com/x",
        }
    )
    assert shown == {
        "admin_token": "***",
        "nested": {"api_key": "***", "url": "redis://:***@cache:6379/0", "n": 1},
        "empty_secret": "",
        "plain": "https://example.com/x",
    }


def test_token_check() -> None:
    assert token_matches(b"Bearer abc", b"abc")
    assert token_matches(b"bearer  abc", b"abc")
    assert not token_matches(b"Bearer abcd", b"abc")
    assert not token_matches(b"abc", b"abc")
    assert not token_matches(b"", b"abc")


def test_server_runs_on_the_callers_loop_and_stops() -> None:
    app = create_admin_app(demo_context(recorded=5), TOKEN)

    def get(port: int, headers: dict[str, str]) -> tuple[int, dict[str, object]]:
        request = urllib.request.Request(f"http://127.0.0.1:{port}/status", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    async def scenario() -> tuple[tuple[int, dict[str, object]], int]:
        server = AdminServer(app, "127.0.0.1", 0)
        port = await server.start()
        answered = await asyncio.to_thread(get, port, AUTH)
        refused = (await asyncio.to_thread(get, port, {}))[0]
        await server.stop()
        return answered, refused

    (status, body), refused = asyncio.run(scenario())
    assert status == 200
    assert body["ready"] is True
    assert refused == 401
