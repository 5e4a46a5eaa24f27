"""``openbid status`` and ``openbid why`` against an admin API served on loopback."""

import asyncio
import json
import socket
import threading
from collections.abc import Iterator

import pytest
from admin_fixtures import TOKEN, demo_context
from typer.testing import CliRunner

from openbid.admin.app import create_admin_app
from openbid.admin.server import AdminServer
from openbid.cli import app


@pytest.fixture(scope="module")
def admin_url() -> Iterator[str]:
    context = demo_context(recorded=50)
    item = context.bidder.snapshot.index.line_items[0]  # type: ignore[union-attr]
    started = threading.Event()
    stop: list[asyncio.Event] = []
    server = AdminServer(create_admin_app(context, TOKEN), "127.0.0.1", 0)

    async def run() -> None:
        stop.append(asyncio.Event())
        await server.start()
        started.set()
        await stop[0].wait()
        await server.stop()

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete, args=(run(),), daemon=True)
    thread.start()
    assert started.wait(10)
    yield f"http://127.0.0.1:{server.port}|{item.id}"
    loop.call_soon_threadsafe(stop[0].set)
    thread.join(10)
    loop.close()


def _invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_status_table_and_json(admin_url: str) -> None:
    url, _ = admin_url.split("|")
    code, out, _ = _invoke("status", "--url", url, "--token", TOKEN)
    assert code == 0
    assert "ready" in out
    assert "ecs_cluster" in out
    assert "***" in out  # the signing keys, redacted
    code, out, _ = _invoke("status", "--url", url, "--token", TOKEN, "--json")
    assert code == 0
    assert json.loads(out)["tags"]["deployment"] == "stable"


def test_why_table_and_json(admin_url: str) -> None:
    url, item = admin_url.split("|")
    code, out, _ = _invoke("why", item, "--url", url, "--token", TOKEN, "--requests", "20")
    assert code == 0
    assert "20 recent requests replayed" in out
    assert "stopped by" in out
    code, out, _ = _invoke("why", item, "--url", url, "--token", TOKEN, "--json")
    assert json.loads(out)["examined"] == 50


def test_readable_errors(admin_url: str) -> None:
    url, _ = admin_url.split("|")
    code, _, err = _invoke("status", "--url", url, "--token", "wrong")
    assert code == 2
    assert "refused the token (401)" in err
    code, _, err = _invoke("why", "li-none", "--url", url, "--token", TOKEN)
    assert code == 2
    assert "404" in err
    assert "li-none" in err
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]
    code, _, err = _invoke("status", "--url", f"http://127.0.0.1:{free}", "--token", TOKEN)
    assert code == 2
    assert "cannot reach the admin API" in err
    assert "refused" in err.lower()
