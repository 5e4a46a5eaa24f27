"""The admin API in process: auth, every endpoint, and the redaction of secrets."""

import asyncio

import httpx2
import pytest
from admin_fixtures import AUTH, TAGS, TOKEN, demo_context
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from openbid.admin.app import create_admin_app
from openbid.admin.context import AdminContext
from openbid.telemetry.logging import current_level, set_level


@pytest.fixture
def context() -> AdminContext:
    return demo_context()


@pytest.fixture
def client(context: AdminContext) -> TestClient:
    return TestClient(create_admin_app(context, TOKEN))


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}, {"Authorization": "Basic x"}],
    ids=["missing", "wrong", "no-scheme", "basic"],
)
@pytest.mark.parametrize("path", ["/status", "/metrics", "/line-items", "/line-items/x/why"])
def test_a_missing_or_wrong_token_is_401(
    client: TestClient, path: str, headers: dict[str, str]
) -> None:
    response = client.get(path, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["error"] == "unauthorized"


def test_the_right_token_and_the_open_schema(client: TestClient) -> None:
    assert client.get("/status", headers=AUTH).status_code == 200
    assert client.get("/status", headers={"Authorization": f"bearer {TOKEN}"}).status_code == 200
    schema = client.get("/openapi.json").json()
    assert schema["openapi"].startswith("3.1")
    assert {"/status", "/metrics", "/line-items/{line_item_id}/why", "/capture"} <= set(
        schema["paths"]
    )


def test_status_redacts_secrets(client: TestClient, context: AdminContext) -> None:
    body = client.get("/status", headers=AUTH).json()
    assert body["tags"] == TAGS
    assert body["ready"] is True
    assert body["catalog"]["version"] == context.bidder.snapshot.version  # type: ignore[union-attr]
    assert body["config"]["signing_keys"] == "***"
    assert body["config"]["admin_token"] == "***"
    assert body["config"]["catalog_url"] == "postgresql://openbid:***@db.example/openbid"
    assert body["config"]["port"] == 8080
    assert TOKEN not in client.get("/status", headers=AUTH).text


def test_metrics_are_prometheus_text_with_tags(client: TestClient) -> None:
    response = client.get("/metrics", headers=AUTH)
    families = list(text_string_to_metric_families(response.text))
    assert response.headers["content-type"].startswith("text/plain")
    assert any(f.name == "openbid_request_duration_seconds" for f in families)
    assert all(s.labels["ecs_cluster"] == "bidders" for f in families for s in f.samples)


def test_line_items_pages_and_one(client: TestClient) -> None:
    page = client.get("/line-items?limit=5&offset=1", headers=AUTH).json()
    assert page["total"] == 20
    assert len(page["items"]) == 5
    first = page["items"][0]
    one = client.get(f"/line-items/{first['id']}", headers=AUTH).json()
    assert one == first
    assert client.get("/line-items/nope", headers=AUTH).status_code == 404
    assert client.get("/line-items?limit=0", headers=AUTH).status_code == 400
    assert client.get("/line-items?limit=x", headers=AUTH).status_code == 400


def test_why_counts_every_recorded_request(client: TestClient, context: AdminContext) -> None:
    item = context.bidder.snapshot.index.line_items[0]  # type: ignore[union-attr]
    report = client.get(f"/line-items/{item.id}/why?requests=150", headers=AUTH).json()
    assert report["examined"] == 150
    assert report["bid"] + sum(r["count"] for r in report["reasons"]) == 150
    assert report["state"] == "active"
    assert report["reasons"] == sorted(report["reasons"], key=lambda r: -r["count"])


def test_log_level_round_trip(client: TestClient) -> None:
    before = current_level()
    try:
        assert client.put("/log-level", json={"level": "debug"}, headers=AUTH).json() == {
            "level": "debug"
        }
        assert client.get("/log-level", headers=AUTH).json() == {"level": "debug"}
        assert client.put("/log-level", json={"level": "loud"}, headers=AUTH).status_code == 400
    finally:
        set_level(before)


def test_readiness_switch_drains_and_resumes(client: TestClient, context: AdminContext) -> None:
    drained = client.put("/readiness", json={"accepting": False}, headers=AUTH).json()
    assert drained == {"accepting": False, "ready": False}
    assert context.readiness.accepting is False
    assert client.get("/status", headers=AUTH).json()["ready"] is False
    resumed = client.put("/readiness", json={"accepting": True}, headers=AUTH).json()
    assert resumed == {"accepting": True, "ready": True}
    assert client.put("/readiness", content=b"{", headers=AUTH).status_code == 400


def test_capture_returns_what_the_bid_path_offers(context: AdminContext) -> None:
    context.max_capture_seconds = 5

    async def scenario() -> tuple[int, dict[str, object]]:
        transport = httpx2.ASGITransport(app=create_admin_app(context, TOKEN))
        async with httpx2.AsyncClient(transport=transport, base_url="http://admin") as http:
            pending = asyncio.create_task(
                http.post("/capture", json={"count": 2, "timeout_seconds": 5}, headers=AUTH)
            )
            while not context.tap.armed:
                await asyncio.sleep(0.001)
            busy = await http.post("/capture", json={"count": 1}, headers=AUTH)
            context.tap.offer("default", b'{"id":"r1","imp":[]}', 204, b"")
            context.tap.offer("x", b"not json", 400, b'{"error":"bad"}')
            response = await pending
            return busy.status_code, response.json()

    busy, body = asyncio.run(scenario())
    assert busy == 409
    assert body["requested"] == 2
    captured = body["captured"]
    assert isinstance(captured, list)
    assert [(c["exchange"], c["status"]) for c in captured] == [("default", 204), ("x", 400)]
    assert captured[0]["request"] == {"id": "r1", "imp": []}
    assert captured[0]["response"] is None
    assert captured[1]["request"] == "not json"
    assert captured[1]["response"] == {"error": "bad"}
    assert context.tap.armed is False


def test_capture_times_out_with_what_it_has(client: TestClient) -> None:
    body = client.post("/capture", json={"count": 3, "timeout_seconds": 1}, headers=AUTH).json()
    assert body == {"requested": 3, "captured": []}
