"""The dashboard: volume, sentiment share, hottest events, sources and their health."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, StreamingResponse
from sqlalchemy import Connection, select

from groundswell.accounts.roles import SCOPED_ROLES, in_scope_name
from groundswell.context import Desk
from groundswell.store.dashboard import sentiment_share, since_counts, source_breakdown, volume
from groundswell.store.events import top_events
from groundswell.store.schemes import list_schemes
from groundswell.store.sources import list_sources
from groundswell.store.tables import schemes as schemes_table
from groundswell.web.auth import Viewer
from groundswell.web.ui.render import fragment, page_viewer, render

SEEN_COOKIE = "gs_seen"
SINCE_SECONDS = 10.0  # the live card's refresh
STREAM_SECONDS = 300.0  # the browser reconnects (EventSource) after this
RANGES = {"48h": (timedelta(hours=48), "hour"), "30d": (timedelta(days=30), "day")}


def visible_scheme_ids(conn: Connection, viewer: Viewer) -> list[int] | None:
    """The schemes a viewer may see: None means all (unscoped roles)."""
    if viewer.role not in SCOPED_ROLES:
        return None
    rows = conn.execute(select(schemes_table.c.id, schemes_table.c.department))
    return [row.id for row in rows if in_scope_name(viewer, row.department)]


def scheme_ids_in_scope(conn: Connection, viewer: Viewer) -> list[int]:
    """The viewer's schemes, always as a list: queries over post_matches then use
    ix_post_matches_scheme_sort_at within their window (there is no index on sort_at)."""
    ids = visible_scheme_ids(conn, viewer)
    return list(conn.execute(select(schemes_table.c.id)).scalars()) if ids is None else ids


def _short(label: str, unit: str) -> str:
    """'2026-08-01T09:00' -> '08-01 09:00' on the hourly chart; days stay whole."""
    return label[5:].replace("T", " ") if unit == "hour" else label


def _last_visit(request: Request) -> datetime | None:
    try:
        seen = datetime.fromisoformat(request.cookies.get(SEEN_COOKIE, ""))
    except ValueError:
        return None
    return seen if seen.tzinfo else None


def router(desk: Desk) -> APIRouter:
    routes = APIRouter(include_in_schema=False)

    @routes.get("/", response_class=HTMLResponse)
    def dashboard(
        request: Request,
        range: str = "48h",
        viewer: Viewer = Depends(page_viewer("posts.view")),
    ) -> HTMLResponse:
        span, unit = RANGES.get(range, RANGES["48h"])
        now = datetime.now(UTC)
        since = now - span
        last_visit = _last_visit(request)
        with desk.engine.connect() as conn:
            series = volume(conn, since, now, unit)  # type: ignore[arg-type]
            share = sentiment_share(conn, since, now, unit)  # type: ignore[arg-type]
            by_source = source_breakdown(conn, since, now, unit)  # type: ignore[arg-type]
            health = list_sources(conn)
            hot = top_events(conn, since_hours=span.total_seconds() / 3600, limit=10)
            scheme_ids = visible_scheme_ids(conn, viewer)
            in_scope = scheme_ids_in_scope(conn, viewer)
            changes = since_counts(conn, last_visit, in_scope) if last_visit else None
            scheme_count = len(
                [s for s in list_schemes(conn) if scheme_ids is None or s.id in scheme_ids]
            )
        volume_chart = {
            "type": "bar",
            "labels": [_short(label, unit) for label, _count in series],
            "series": {"posts": [count for _label, count in series]},
        }
        sentiment_chart = {
            "type": "doughnut",
            "labels": list(share),
            "values": list(share.values()),
        }
        sources_chart = {
            "type": "bar",
            "labels": [name for name, _n in by_source],
            "series": {"posts": [n for _name, n in by_source]},
            "horizontal": True,
        }
        response = render(
            request,
            viewer,
            "dashboard.html",
            range=range if range in RANGES else "48h",
            volume_chart=volume_chart,
            sentiment_chart=sentiment_chart,
            sources_chart=sources_chart,
            total=sum(count for _label, count in series),
            share=share,
            hot=hot,
            health=health,
            last_visit=last_visit,
            changes=changes,
            scheme_count=scheme_count,
        )
        response.set_cookie(
            SEEN_COOKIE, now.isoformat(), max_age=90 * 86400, httponly=True, samesite="lax"
        )
        return response

    @routes.get("/dashboard/stream")
    async def since_stream(
        request: Request,
        since: datetime | None = None,
        viewer: Viewer = Depends(page_viewer("posts.view")),
    ) -> StreamingResponse:
        """Server-sent events: the 'since your last visit' card, re-rendered every 10 s."""
        start = since if since is not None and since.tzinfo is not None else datetime.now(UTC)

        def card() -> str:
            with desk.engine.connect() as conn:
                changes = since_counts(conn, start, scheme_ids_in_scope(conn, viewer))
            return fragment(
                request, viewer, "partials/since.html", last_visit=start, changes=changes
            )

        async def events() -> AsyncIterator[str]:
            opened = time.monotonic()
            yield "retry: 5000\n: connected\n\n"
            while time.monotonic() - opened < STREAM_SECONDS:
                if await request.is_disconnected():
                    return
                html = await asyncio.to_thread(card)
                data = "".join(f"data: {line}\n" for line in html.splitlines() or [""])
                yield f"event: since\n{data}\n"
                await asyncio.sleep(SINCE_SECONDS)

        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        return StreamingResponse(events(), media_type="text/event-stream", headers=headers)

    @routes.get("/dashboard/since", response_class=HTMLResponse)
    def since_fragment(
        request: Request,
        since: datetime | None = None,
        viewer: Viewer = Depends(page_viewer("posts.view")),
    ) -> HTMLResponse:
        """The 'since your last visit' card alone (the stream sends the same)."""
        if since is None or since.tzinfo is None:
            since = datetime.now(UTC)
        with desk.engine.connect() as conn:
            changes = since_counts(conn, since, scheme_ids_in_scope(conn, viewer))
        return render(request, viewer, "partials/since.html", last_visit=since, changes=changes)

    return routes
