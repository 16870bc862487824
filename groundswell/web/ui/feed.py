"""The live feed of matched posts: filters, sentiment corrections, relevance, SSE updates."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, StreamingResponse
from sqlalchemy import Connection, select, update

from groundswell.context import Desk
from groundswell.errors import ConfigError
from groundswell.store.analysis import add_correction
from groundswell.store.dashboard import FeedFilter, feed_items
from groundswell.store.schemes import list_schemes
from groundswell.store.sources import list_sources
from groundswell.store.tables import post_matches, posts
from groundswell.web.auth import Viewer, audit, client_ip, require
from groundswell.web.ui.dashboard import scheme_ids_in_scope, visible_scheme_ids
from groundswell.web.ui.render import float_param, fragment, int_param, page_viewer, render

SENTIMENTS = ("negative", "neutral", "positive")
POLL_SECONDS = 1.0
STREAM_SECONDS = 300.0  # the browser reconnects, from its newest row, after this
# Relevance marks need a column the store does not have yet (post_matches.relevant).
RELEVANCE_STORED = "relevant" in post_matches.c


def _filter(
    conn: Connection, viewer: Viewer, scheme: int | None, sentiment: str, source: str, days: float
) -> FeedFilter:
    allowed = scheme_ids_in_scope(conn, viewer)
    ids = ([scheme] if scheme in allowed else []) if scheme is not None else allowed
    return FeedFilter(
        scheme_ids=ids,
        sentiment=sentiment if sentiment in SENTIMENTS else None,
        source=source or None,
        days=min(max(days, 0.05), 31.0),
    )


def post_in_scope(conn: Connection, viewer: Viewer, post_id: int) -> bool:
    """Scoped roles act only on posts that matched one of their department's schemes."""
    allowed = visible_scheme_ids(conn, viewer)
    if allowed is None:
        return conn.execute(select(posts.c.id).where(posts.c.id == post_id)).first() is not None
    found = conn.execute(
        select(post_matches.c.post_id).where(
            post_matches.c.post_id == post_id, post_matches.c.scheme_id.in_(allowed)
        )
    ).first()
    return found is not None


def router(desk: Desk) -> APIRouter:
    routes = APIRouter(include_in_schema=False)

    @routes.get("/feed", response_class=HTMLResponse)
    def feed_page(
        request: Request,
        scheme: str = "",
        sentiment: str = "",
        source: str = "",
        days: str = "7",
        viewer: Viewer = Depends(page_viewer("posts.view")),
    ) -> HTMLResponse:
        scheme_id, window = int_param(scheme), float_param(days, 7.0)
        with desk.engine.connect() as conn:
            feed = _filter(conn, viewer, scheme_id, sentiment, source, window)
            items = feed_items(conn, feed, limit=100)
            allowed = visible_scheme_ids(conn, viewer)
            choices = [s for s in list_schemes(conn) if allowed is None or s.id in allowed]
            source_names = [s.name for s in list_sources(conn)]
        query = request.url.query
        return render(
            request,
            viewer,
            "feed.html",
            items=items,
            schemes=choices,
            sources=source_names,
            sentiments=SENTIMENTS,
            chosen={"scheme": scheme_id, "sentiment": sentiment, "source": source, "days": window},
            stream_url="/feed/stream" + (f"?{query}" if query else ""),
            relevance=RELEVANCE_STORED,
        )

    @routes.get("/feed/stream")
    async def feed_stream(
        request: Request,
        after: str = "0",
        scheme: str = "",
        sentiment: str = "",
        source: str = "",
        days: str = "7",
        viewer: Viewer = Depends(page_viewer("posts.view")),
    ) -> StreamingResponse:
        """Server-sent events: new matched posts as rendered rows, polled from the database."""
        scheme_id, window = int_param(scheme), float_param(days, 7.0)

        def poll(cursor: int) -> list[dict[str, Any]]:
            with desk.engine.connect() as conn:
                feed = _filter(conn, viewer, scheme_id, sentiment, source, window)
                return feed_items(conn, feed, after_post_id=cursor, limit=100)

        async def events() -> AsyncIterator[str]:
            cursor = int_param(after, 0) or 0
            started = time.monotonic()
            yield "retry: 2000\n: connected\n\n"
            while time.monotonic() - started < STREAM_SECONDS:
                if await request.is_disconnected():
                    return
                items = await asyncio.to_thread(poll, cursor)
                if items:
                    cursor = max(item["id"] for item in items)
                    html = fragment(
                        request,
                        viewer,
                        "partials/feed_rows.html",
                        items=items,
                        relevance=RELEVANCE_STORED,
                    )
                    data = "".join(f"data: {line}\n" for line in html.splitlines() or [""])
                    yield f"event: rows\n{data}\n"
                else:
                    yield ": idle\n\n"
                await asyncio.sleep(POLL_SECONDS)

        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        return StreamingResponse(events(), media_type="text/event-stream", headers=headers)

    @routes.post("/feed/posts/{post_id}/sentiment", response_class=HTMLResponse)
    def correct_sentiment(
        request: Request,
        post_id: int,
        label: str = Form(...),
        viewer: Viewer = Depends(require("posts.correct")),
    ) -> HTMLResponse:
        """The UI face of POST /api/posts/{id}/sentiment: same store call, plus scope and audit."""
        with desk.engine.begin() as conn:
            if not post_in_scope(conn, viewer, post_id):
                raise HTTPException(404, f"no post {post_id}")
            try:
                correction = add_correction(conn, post_id, label, created_by=viewer.name)
            except ConfigError as exc:
                raise HTTPException(400, str(exc)) from exc
            audit(
                conn,
                viewer,
                "post.sentiment",
                f"post:{post_id}",
                {"label": label, "previous": correction["previous_label"]},
                ip=client_ip(request),
            )
        item = {"id": post_id, "sentiment": label, "sentiment_confidence": 1.0}
        return HTMLResponse(
            fragment(request, viewer, "partials/sentiment_cell.html", item=item, corrected=True)
        )

    @routes.post("/feed/posts/{post_id}/relevance", response_class=HTMLResponse)
    def mark_relevance(
        request: Request,
        post_id: int,
        scheme_id: int = Form(...),
        relevant: str = Form(...),
        viewer: Viewer = Depends(require("posts.correct")),
    ) -> HTMLResponse:
        if not RELEVANCE_STORED:
            raise HTTPException(501, "relevance marks need the post_matches.relevant column")
        value = relevant == "yes"
        with desk.engine.begin() as conn:
            allowed = visible_scheme_ids(conn, viewer)
            if allowed is not None and scheme_id not in allowed:
                raise HTTPException(404, f"no match of post {post_id}")
            changed = conn.execute(
                update(post_matches)
                .where(post_matches.c.post_id == post_id, post_matches.c.scheme_id == scheme_id)
                .values(relevant=value)
            ).rowcount
            if not changed:
                raise HTTPException(404, f"no match of post {post_id}")
            audit(
                conn,
                viewer,
                "match.relevance",
                f"post:{post_id}",
                {"scheme": scheme_id, "relevant": value},
                ip=client_ip(request),
            )
        item = {"id": post_id, "scheme_id": scheme_id, "relevant": value}
        return HTMLResponse(fragment(request, viewer, "partials/relevance_cell.html", item=item))

    return routes
