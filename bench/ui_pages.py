"""UI pages benchmark: server time of the dashboard, feed, events and search with N posts stored.

    python -m bench.ui_pages [--posts 1000000] [--backend sqlite|postgres] [--sample 20000]
                             [--schemes 20] [--requests 30] [--warmup 3] [--processes 0]
                             [--postgres-url URL] [--database-url URL]
    groundswell bench ui_pages -- --posts 1000000

The database is built the quick way that still looks like a year of monitoring:
`--sample` real posts from ../shared/data go through `Pipeline.ingest_many` (so
they carry sentiment, scheme matches, stories and events), then SQL
`INSERT ... SELECT` replicates them, with their matches, stories and events, until
`--posts` posts exist, spread evenly over the last 365 days across six sources of
uneven size (the FTS5 triggers / generated tsvector index every copy, as for
ingested posts). Each copy gets its own dedup keys, story keys and event ids
(bench/ui_pages_data.py). About 4 minutes for 1M posts on SQLite, 2 cores.
`--database-url` builds into a database that is kept (or measures one already
built), for profiling the slow pages afterwards.

Then an admin signs in through `POST /api/auth/login` on an in-process httpx ASGI
client of `create_app(desk)` and each page is requested `--warmup` times, then
`--requests` times; server time is the wall time of the in-process request (no
network). The feed's SSE refresh (`/feed/stream`) is timed to its first event
after the preamble: one database poll, as every open feed does each second.
Target: p95 < 300 ms per page. The last stdout line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import time
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
from sqlalchemy import text

from bench.ingest import DEFAULT_POSTGRES, log, scratch_database
from bench.ui_pages_data import ADMIN, PASSWORD, SOURCES, build
from groundswell.context import Desk
from groundswell.settings import load_settings
from groundswell.web.app import create_app

TARGET_P95_MS = 300.0

# -- measuring -----------------------------------------------------------------------


def _stats(samples_ms: list[float]) -> dict[str, Any]:
    ordered = sorted(samples_ms)
    p95 = ordered[max(math.ceil(0.95 * len(ordered)) - 1, 0)]  # nearest rank
    return {
        "p50_ms": round(ordered[len(ordered) // 2], 1),
        "p95_ms": round(p95, 1),
        "max_ms": round(ordered[-1], 1),
        "meets_target": p95 < TARGET_P95_MS,
    }


def pages(desk: Desk, now: datetime) -> dict[str, str]:
    """The pages to time: path and query string, named."""
    with desk.engine.connect() as conn:
        busiest = (
            conn.execute(
                text(
                    "SELECT scheme_id FROM post_matches"
                    " GROUP BY scheme_id ORDER BY count(*) DESC, scheme_id LIMIT 1"
                )
            ).scalar()
            or 1
        )
        words = conn.execute(
            text("SELECT subject_words FROM schemes WHERE id = :id"), {"id": busiest or 1}
        ).scalar_one()
        hottest = conn.execute(
            text("SELECT id FROM events ORDER BY last_seen DESC, heat DESC LIMIT 1")
        ).scalar()
        newest = conn.execute(text("SELECT max(post_id) FROM post_matches")).scalar() or 0
    word = (json.loads(words) if isinstance(words, str) else words)[0]
    since = (now - timedelta(hours=12)).isoformat()
    urls = {
        "dashboard": "/",
        "dashboard_30d": "/?range=30d",
        "dashboard_since": "/dashboard/since?" + urlencode({"since": since}),
        "feed": "/feed",
        "feed_scheme": f"/feed?scheme={busiest}",
        "feed_scheme_negative": f"/feed?scheme={busiest}&sentiment=negative",
        "feed_source": f"/feed?source={SOURCES[-1]}",
        "feed_stream_poll": f"/feed/stream?after={newest}",
        "events": "/events",
        "events_30d": "/events?days=30",
        "event": f"/events/{hottest}",
        "search": "/search?" + urlencode({"q": word}),
        "api_posts": "/api/posts?" + urlencode({"q": word}),
    }
    return {name: url for name, url in urls.items() if hottest or name != "event"}


async def first_event(app: Any, url: str, cookies: httpx.Cookies) -> float:
    """Seconds from the request to the SSE stream's first event after its preamble."""
    path, _, query = url.partition("?")
    cookie = "; ".join(f"{c.name}={c.value}" for c in cookies.jar)
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "",
        "query_string": query.encode(), "client": ("127.0.0.1", 1), "server": ("bench", 80),
        "headers": [(b"host", b"bench"), (b"cookie", cookie.encode())],
    }  # fmt: skip
    chunks: list[bytes] = []
    got, gone = asyncio.Event(), asyncio.Event()

    async def receive() -> dict[str, Any]:
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start" and message["status"] != 200:
            raise SystemExit(f"{url}: HTTP {message['status']}")
        if message["type"] == "http.response.body" and message.get("body"):
            chunks.append(message["body"])
            if len(chunks) >= 2:
                got.set()

    start = time.perf_counter()
    task = asyncio.create_task(app(scope, receive, send))
    await got.wait()
    elapsed = time.perf_counter() - start
    gone.set()
    await task
    return elapsed


async def measure(desk: Desk, urls: dict[str, str], warmup: int, requests: int) -> dict[str, Any]:
    app = create_app(desk)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        response = await client.post("/api/auth/login", json={"name": ADMIN, "password": PASSWORD})
        if response.status_code != 200:
            raise SystemExit(f"sign-in failed: {response.status_code} {response.text}")
        client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
        last_visit = (datetime.now(UTC) - timedelta(hours=12)).isoformat()
        results: dict[str, Any] = {}
        for name, url in urls.items():

            async def once(url: str = url) -> float:
                if url.startswith("/feed/stream"):
                    return await first_event(app, url, client.cookies)
                client.cookies.delete("gs_seen")  # the dashboard sets it to now
                client.cookies.set("gs_seen", last_visit)  # a visit 12 h ago: the changes card
                start = time.perf_counter()
                got = await client.get(url)
                elapsed = time.perf_counter() - start
                if got.status_code != 200:
                    raise SystemExit(f"{url}: HTTP {got.status_code} {got.text[:300]}")
                return elapsed

            results[name] = await _timed(once, warmup, requests) | {"url": url}
            log(f"  {name:22} {results[name]}")
    return results


async def _timed(
    once: Callable[[], Awaitable[float]], warmup: int, requests: int
) -> dict[str, Any]:
    for _ in range(warmup):
        await once()
    return _stats([await once() * 1000 for _ in range(requests)])


# -- driver ----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ui_pages")
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=20_000, help="posts through the pipeline")
    parser.add_argument("--schemes", type=int, default=20)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--processes", type=int, default=0, help="analysis workers; 0: per core")
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES)
    parser.add_argument(
        "--database-url",
        help="build into this database and keep it (to profile it later); if it already"
        " holds posts, measure it as it is",
    )
    args = parser.parse_args(argv)
    sample = min(args.sample, args.posts)
    now = datetime.now(UTC)
    database: AbstractContextManager[str] = (
        nullcontext(args.database_url)
        if args.database_url
        else scratch_database(args.backend, args.postgres_url)
    )
    with database as url:
        settings = load_settings(
            database_url=url, pseudonym_key="bench", analysis_processes=args.processes
        )
        desk = Desk.open(settings)
        with desk.engine.connect() as conn:
            stored = conn.execute(text("SELECT count(*) FROM posts")).scalar_one()
        if stored:
            log(f"ui_pages: measuring the {stored:,} posts already in {args.database_url}")
            built: dict[str, Any] = {"posts": stored, "reused": True}
        else:
            dialect = desk.engine.dialect.name
            log(f"ui_pages: building {args.posts:,} posts ({sample:,} analysed), {dialect}")
            built = build(desk, args.posts, sample, args.schemes, now)
        log(f"ui_pages: {args.warmup} warm-up + {args.requests} requests per page")
        load_before = os.getloadavg()[0]  # a busy machine inflates the tail: say so
        results = asyncio.run(measure(desk, pages(desk, now), args.warmup, args.requests))
        load = [round(load_before, 2), round(os.getloadavg()[0], 2)]
        desk.close()
    print(
        json.dumps(
            {
                "bench": "ui_pages",
                "backend": desk.engine.dialect.name,
                "posts": built["posts"],
                "cores": os.cpu_count(),
                "load_avg_1m": load,
                "requests": args.requests,
                "target_p95_ms": TARGET_P95_MS,
                "build": built,
                "pages": results,
                "meets_target": all(page["meets_target"] for page in results.values()),
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
