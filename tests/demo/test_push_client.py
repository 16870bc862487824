"""The push replayer against a real local receiver that records every POST."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

from groundswell.demo.dataset import DemoRecord, load_dataset
from groundswell.demo.push_client import PushReplayer, push_source_spec
from tests.support.http_server import LocalHTTPServer, Reply, Request

TOKEN = "demo-token-123"


def _accepting(received: list[list[dict]]):
    def handle(request: Request) -> Reply:
        items = json.loads(request.body)["items"]
        received.append(items)
        return Reply(200, json.dumps({"accepted": len(items)}))

    return handle


async def test_replays_every_item_once_in_authorised_batches(http_server: LocalHTTPServer) -> None:
    received: list[list[dict]] = []
    http_server.route("/api/push", _accepting(received))
    replayer = PushReplayer(http_server.url("/api/push"), TOKEN, speed=1e12)
    sent = await asyncio.wait_for(replayer.run(asyncio.Event()), timeout=10)

    records = load_dataset("weibo_zh")
    assert sent == len(records) and replayer.failed == 0
    requests = http_server.requests_to("/api/push")
    assert all(r.method == "POST" for r in requests)
    assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in requests)
    assert all(r.headers["content-type"] == "application/json" for r in requests)
    assert all(1 <= len(batch) <= 100 for batch in received)
    items = [item for batch in received for item in batch]
    assert sorted(i["id"] for i in items) == sorted(r.id for r in records)  # each exactly once
    by_id = {r.id: r for r in records}
    for item in items:
        original = by_id[item["id"]]
        assert datetime.fromisoformat(item["published_at"]) == original.time
        assert item["text"] == original.text
        assert item.get("parent") == original.parent
    originals = {i["id"] for i in items if "parent" not in i}
    assert 40 <= len(originals) <= 80
    assert all(i["parent"] in originals for i in items if "parent" in i)


def _records(n: int, step: timedelta) -> list[DemoRecord]:
    start = datetime(2012, 8, 3, 14, 0, tzinfo=UTC)
    return [
        DemoRecord(id=str(k), time=start + k * step, text=f"post {k}", lang="zh", parent=None)
        for k in range(n)
    ]


async def test_failed_post_is_retried_with_backoff(http_server: LocalHTTPServer) -> None:
    received: list[list[dict]] = []
    http_server.route("/push", Reply(503), Reply(429), _accepting(received))
    records = _records(250, timedelta(seconds=1))
    replayer = PushReplayer(
        http_server.url("/push"), TOKEN, speed=1e9, records=records, backoff=0.01
    )
    sent = await asyncio.wait_for(replayer.run(asyncio.Event()), timeout=10)
    assert sent == 250
    assert [len(b) for b in received] == [100, 100, 50]
    assert len(http_server.requests_to("/push")) == 5  # two failures, then three batches
    assert [i["id"] for b in received for i in b] == [r.id for r in records]


async def test_rejected_batch_is_not_retried_and_run_continues(
    http_server: LocalHTTPServer,
) -> None:
    http_server.route("/push", Reply(401, "bad token"))
    replayer = PushReplayer(
        http_server.url("/push"),
        "wrong",
        speed=1e9,
        records=_records(150, timedelta(seconds=1)),
        backoff=0.01,
    )
    sent = await asyncio.wait_for(replayer.run(asyncio.Event()), timeout=10)
    assert sent == 0 and replayer.failed == 150
    assert len(http_server.requests_to("/push")) == 2  # one try per batch


async def test_paces_items_and_stops_when_asked(http_server: LocalHTTPServer) -> None:
    received: list[list[dict]] = []
    http_server.route("/push", _accepting(received))
    # One virtual hour per real second; items an hour apart, head start covers the first two.
    records = _records(5, timedelta(hours=1))
    replayer = PushReplayer(
        http_server.url("/push"),
        TOKEN,
        speed=3600.0,
        head_start=timedelta(hours=1),
        records=records,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(replayer.run(stop))
    await asyncio.sleep(0.4)
    assert [i["id"] for b in received for i in b] == ["0", "1"]
    await asyncio.sleep(1.1)  # the third item falls due at 1.0 s, the fourth at 2.0 s
    assert [i["id"] for b in received for i in b] == ["0", "1", "2"]
    stop.set()
    sent = await asyncio.wait_for(task, timeout=2)
    assert sent == 3


def test_push_source_spec() -> None:
    assert push_source_spec("t") == {
        "name": "demo-weibo-push",
        "kind": "push",
        "config": {"token": "t"},
    }
