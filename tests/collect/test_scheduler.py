"""The collector: one round over real local sources, health, backoff, the scheduler loop."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta

from groundswell.collect.fetcher import PoliteFetcher
from groundswell.collect.scheduler import Scheduler, collect_round, next_due
from groundswell.context import Desk
from groundswell.store.posts import count_posts, list_quarantine
from groundswell.store.sources import add_source, get_source, list_sources, recent_runs
from tests.support.http_server import LocalHTTPServer, Reply

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>City news</title>
<item><guid>a1</guid><title>Tariffs hit the port</title><link>http://example.org/a1</link>
<description>The new tariffs &lt;b&gt;hit&lt;/b&gt; the port.</description>
<pubDate>Sat, 01 Aug 2026 09:00:00 GMT</pubDate></item>
<item><guid>a2</guid><title>Rain tomorrow</title><link>http://example.org/a2?utm_source=x</link>
<pubDate>Sat, 01 Aug 2026 10:00:00 GMT</pubDate></item>
<item><guid>a3</guid></item>
</channel></rss>"""


def serve_sources(http_server: LocalHTTPServer) -> None:
    http_server.route("/robots.txt", Reply(404))
    http_server.route(
        "/good.xml",
        Reply(200, RSS, {"Content-Type": "application/rss+xml", "ETag": '"v1"'}),
    )
    http_server.route("/broken.xml", Reply(500, b"oops"))
    http_server.route(
        "/garbage.xml", Reply(200, b"<html><body>not a feed", {"Content-Type": "text/html"})
    )


async def test_one_round_stores_posts_and_records_every_failure(
    desk: Desk, http_server: LocalHTTPServer
) -> None:
    serve_sources(http_server)
    with desk.engine.begin() as conn:
        for name in ("good", "broken", "garbage"):
            add_source(conn, name, "rss", {"url": http_server.url(f"/{name}.xml")})
    policy = desk.fetch_policy()
    async with PoliteFetcher(policy.__class__(**{**policy.__dict__, "max_retries": 0})) as fetcher:
        outcomes = {r.name: o for r, o in await collect_round(desk, fetcher)}
        assert outcomes["good"].status == "ok"
        assert (outcomes["good"].stored, outcomes["good"].quarantined) == (2, 1)
        assert outcomes["broken"].status == "error" and "500" in (outcomes["broken"].error or "")
        assert outcomes["garbage"].status == "error" and outcomes["garbage"].error
        again = {r.name: o for r, o in await collect_round(desk, fetcher)}
    assert again["good"].status == "not_modified"  # conditional GET with the stored ETag
    assert http_server.requests_to("/good.xml")[-1].headers.get("if-none-match") == '"v1"'
    with desk.engine.connect() as conn:
        assert count_posts(conn) == 2
        health = {r.name: r for r in list_sources(conn)}
        assert health["broken"].consecutive_failures == 2 and health["broken"].status == "failing"
        assert health["good"].status == "ok" and health["good"].posts_total == 2
        assert "empty" in list_quarantine(conn)[0]["reason"]
        assert len(recent_runs(conn, health["good"].id)) == 2


def test_backoff_and_jitter(desk: Desk) -> None:
    now = datetime(2026, 8, 1, tzinfo=UTC)
    with desk.engine.begin() as conn:
        record = add_source(conn, "s", "rss", {"url": "https://x.example/f"}, interval_seconds=100)
    rng = random.Random(3)
    healthy = [(next_due(desk, record, now, 0, rng) - now).total_seconds() for _ in range(50)]
    assert all(90 <= s <= 110 for s in healthy) and len(set(healthy)) > 40
    failing = (next_due(desk, record, now, 2, rng) - now).total_seconds()
    capped = (next_due(desk, record, now, 10, rng) - now).total_seconds()
    assert 360 <= failing <= 440 and 720 <= capped <= 880


async def test_scheduler_loop_collects_due_sources_and_stops(
    desk: Desk, http_server: LocalHTTPServer
) -> None:
    serve_sources(http_server)
    with desk.engine.begin() as conn:
        add_source(conn, "good", "rss", {"url": http_server.url("/good.xml")}, interval_seconds=10)
    stop = asyncio.Event()
    async with PoliteFetcher(desk.fetch_policy()) as fetcher:
        scheduler = Scheduler(desk, fetcher, max_sleep=0.1)
        task = asyncio.create_task(scheduler.run(stop))
        for _ in range(100):
            await asyncio.sleep(0.1)
            with desk.engine.connect() as conn:
                if get_source(conn, "good").last_success_at:
                    break
        stop.set()
        await asyncio.wait_for(task, 5)
    with desk.engine.connect() as conn:
        record = get_source(conn, "good")
        assert count_posts(conn) == 2
    assert record.next_due_at is not None
    assert record.next_due_at > datetime.now(UTC) + timedelta(seconds=5)
