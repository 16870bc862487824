"""The analysis API: schemes with backtest, events, spikes and sentiment corrections (signed
in as an analyst; department scoping is tested in test_auth.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select

from groundswell.context import Desk
from groundswell.store.analysis import list_corrections
from groundswell.store.sources import add_source
from groundswell.store.tables import posts
from groundswell.web.app import create_app
from tests.accounts.helpers import add_user, sign_in

TOKEN = "s3cret-token-0123456789"
HEADERS = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
async def client(desk: Desk) -> AsyncIterator[httpx.AsyncClient]:
    with desk.engine.begin() as conn:
        add_source(conn, "platform", "push", {"token": TOKEN})
    add_user(desk, "analyst", "analyst")
    transport = httpx.ASGITransport(app=create_app(desk))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        await sign_in(client, "analyst")
        yield client


async def push(client: httpx.AsyncClient, *texts: str) -> None:
    items = [
        {"id": f"p{i}", "text": t, "published_at": "2026-08-01T09:00:00+08:00"}
        for i, t in enumerate(texts)
    ]
    response = await client.post("/api/push/platform", json={"items": items}, headers=HEADERS)
    assert response.status_code == 200, response.text


async def test_scheme_crud_and_errors(client: httpx.AsyncClient) -> None:
    body = {"name": "metro", "subject_words": ["地铁", "metro"], "event_words": ["故障"]}
    created = await client.post("/api/schemes", json=body)
    assert created.status_code == 201, created.text
    scheme = created.json()
    assert "地铁" in scheme["compiled"] and scheme["id"] > 0
    assert (await client.post("/api/schemes", json=body)).status_code == 409
    bad = await client.post("/api/schemes", json={"name": "bad", "query": "a AND (b"})
    assert bad.status_code == 400 and isinstance(bad.json()["position"], int)
    listed = (await client.get("/api/schemes")).json()
    assert [s["name"] for s in listed] == ["metro"]
    renamed = await client.patch(
        f"/api/schemes/{scheme['id']}", json={"name": "subway", "department": "Transport"}
    )
    assert renamed.status_code == 200, renamed.text
    assert (renamed.json()["name"], renamed.json()["department"]) == ("subway", "Transport")
    got = (await client.get(f"/api/schemes/{scheme['id']}")).json()
    assert got["name"] == "subway" and "地铁" in got["compiled"]
    broken = await client.patch(f"/api/schemes/{scheme['id']}", json={"query": "a OR"})
    assert broken.status_code == 400
    assert (await client.patch("/api/schemes/9999", json={"enabled": False})).status_code == 404
    assert (await client.delete(f"/api/schemes/{scheme['id']}")).status_code == 204
    assert (await client.delete(f"/api/schemes/{scheme['id']}")).status_code == 404


async def test_pushed_posts_match_a_scheme_and_form_events(client: httpx.AsyncClient) -> None:
    await client.post("/api/schemes", json={"name": "metro", "subject_words": ["地铁"]})
    await push(
        client,
        "地铁2号线故障，乘客被困一小时",
        "地铁2号线故障，乘客被困一小时 //@a: 转发",
        "今天天气不错",
    )
    backtest = await client.post(
        "/api/schemes/backtest", json={"query": "地铁 AND 故障", "days": 3650}
    )
    assert backtest.status_code == 200
    assert backtest.json()["matched"] == 2
    events = (await client.get("/api/events", params={"hours": 24 * 365})).json()
    assert events and events[0]["size"] >= 2
    detail = (await client.get(f"/api/events/{events[0]['id']}")).json()
    assert len(detail["posts"]) == events[0]["size"]
    assert (await client.get("/api/events/nope")).status_code == 404
    spikes = await client.get("/api/spikes", params={"window": "day"})
    assert spikes.status_code == 200 and isinstance(spikes.json(), list)
    assert (await client.get("/api/spikes", params={"window": "year"})).status_code == 422
    hits = (await client.get("/api/posts", params={"q": "地铁"})).json()["items"]
    assert len(hits) == 2
    assert all(h["sentiment"] in {"negative", "neutral", "positive"} for h in hits)
    assert len({h["story_key"] for h in hits}) == 1 and {h["is_repost"] for h in hits} == {
        True,
        False,
    }
    assert hits[0]["event_id"] == events[0]["id"]


async def test_sentiment_correction_is_applied_and_kept(
    client: httpx.AsyncClient, desk: Desk
) -> None:
    await push(client, "The new bus line is fine I guess")
    with desk.engine.connect() as conn:
        post_id = conn.execute(select(posts.c.id)).scalar_one()
    answer = await client.post(f"/api/posts/{post_id}/sentiment", json={"label": "positive"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["label"] == "positive" and answer.json()["created_by"] == "analyst"
    with desk.engine.connect() as conn:
        assert conn.execute(select(posts.c.sentiment)).scalar_one() == "positive"
        assert list_corrections(conn) == [("The new bus line is fine I guess", "positive")]
    assert (
        await client.post("/api/posts/999/sentiment", json={"label": "positive"})
    ).status_code == 404
    bad = await client.post(f"/api/posts/{post_id}/sentiment", json={"label": "angry"})
    assert bad.status_code == 422
