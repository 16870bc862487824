"""The HTTP API through httpx's ASGI transport: search, sources, push, health (signed in as
an admin; who may do what is tested in test_auth.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from groundswell.context import Desk
from groundswell.store.sources import add_source
from groundswell.web.app import create_app
from tests.accounts.helpers import add_user, sign_in

TOKEN = "s3cret-token-0123456789"


@pytest.fixture
async def client(desk: Desk) -> AsyncIterator[httpx.AsyncClient]:
    with desk.engine.begin() as conn:
        add_source(conn, "platform", "push", {"token": TOKEN})
        add_source(conn, "feed", "rss", {"url": "https://news.example/feed"})
    add_user(desk, "root", "admin")
    transport = httpx.ASGITransport(app=create_app(desk))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        await sign_in(client, "root")
        yield client


BATCH = {
    "items": [
        {
            "id": "w1",
            "text": "暴雨导致城市内涝 <script>alert(1)</script>",
            "author": "someone",
            "published_at": "2026-08-01T09:00:00+08:00",
            "engagement": {"reposts": 12},
        },
        {
            "id": "w2",
            "title": "Tariffs news",
            "text": "New tariffs on steel",
            "url": "https://x.example/2",
        },
        {"id": "w3", "published_at": "not a date", "text": "bad time"},
    ]
}


def auth(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_push_then_search(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/push/platform", json=BATCH, headers=auth())
    assert response.status_code == 200, response.text
    assert response.json() == {"accepted": 2, "stored": 2, "duplicates": 0, "quarantined": 1}
    again = await client.post("/api/push/platform", json=BATCH, headers=auth())
    assert again.json()["stored"] == 0 and again.json()["duplicates"] == 2

    found = (await client.get("/api/posts", params={"q": "内涝"})).json()["items"]
    assert len(found) == 1 and found[0]["source"] == "platform"
    assert found[0]["author_key"] and found[0]["author_key"] != "someone"
    assert found[0]["published_at"] == "2026-08-01T01:00:00+00:00"
    assert found[0]["text"].startswith("暴雨导致城市内涝")  # plain text kept; renderers escape
    english = (await client.get("/api/posts", params={"q": "tariffs", "lang": "en"})).json()
    assert [p["title"] for p in english["items"]] == ["Tariffs news"]

    sources = {s["name"]: s for s in (await client.get("/api/sources")).json()["items"]}
    assert sources["platform"]["status"] == "ok" and sources["platform"]["posts_total"] == 2
    assert "token" not in sources["platform"]["config"]
    assert sources["feed"]["status"] == "new"


@pytest.mark.parametrize(
    ("path", "body", "headers", "status"),
    [
        ("/api/push/platform", BATCH, auth("wrong-token-0123456789"), 401),
        ("/api/push/platform", BATCH, {}, 401),
        ("/api/push/nowhere", BATCH, auth(), 404),
        ("/api/push/feed", BATCH, auth(), 404),
        ("/api/push/platform", {"posts": []}, auth(), 400),
        ("/api/push/platform", {"items": [{}] * 1001}, auth(), 400),
    ],
)
async def test_push_refusals(
    client: httpx.AsyncClient, path: str, body: object, headers: dict, status: int
) -> None:
    response = await client.post(path, json=body, headers=headers)
    assert response.status_code == status
    assert response.json()["detail"]


async def test_push_rejects_invalid_json(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/push/platform",
        content=b"{not json",
        headers={**auth(), "Content-Type": "application/json"},
    )
    assert response.status_code == 400 and "JSON" in response.json()["detail"]


async def test_bad_query_is_400_with_message(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/posts", params={"q": "!!!"})
    assert response.status_code == 400 and "no searchable words" in response.json()["detail"]
    response = await client.get("/api/posts", params={"limit": 0})
    assert response.status_code == 422


async def test_health_and_openapi(client: httpx.AsyncClient) -> None:
    health = (await client.get("/healthz")).json()
    assert health["status"] == "ok"
    spec = (await client.get("/openapi.json")).json()
    assert {"/api/posts", "/api/sources", "/api/push/{source_name}", "/healthz"} <= set(
        spec["paths"]
    )


async def test_metrics_count_what_push_did(client: httpx.AsyncClient) -> None:
    def stored() -> float:
        from groundswell.metrics import REGISTRY

        value = REGISTRY.get_sample_value(
            "groundswell_items_total", {"source": "platform", "outcome": "stored"}
        )
        return value or 0.0

    before = stored()
    await client.post("/api/push/platform", json=BATCH, headers=auth())
    assert stored() == before + 2
    text = (await client.get("/metrics")).text
    assert "groundswell_items_total" in text and "groundswell_ingest_seconds_bucket" in text


async def test_push_and_health_need_no_account_but_search_does(desk: Desk) -> None:
    with desk.engine.begin() as conn:
        add_source(conn, "platform", "push", {"token": TOKEN})
    transport = httpx.ASGITransport(app=create_app(desk))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as anonymous:
        assert (await anonymous.post("/api/push/platform", json=BATCH, headers=auth())).is_success
        assert (await anonymous.get("/healthz")).status_code == 200
        assert (await anonymous.get("/metrics")).status_code == 200
        assert (await anonymous.get("/api/posts", params={"q": "内涝"})).status_code == 401
        assert (await anonymous.get("/api/sources")).status_code == 401
        # A push source's token is not an account's token.
        assert (await anonymous.get("/api/sources", headers=auth())).status_code == 401
