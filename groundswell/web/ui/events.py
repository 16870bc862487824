"""Events: the hottest list, and one event's timeline, sentiment over time, sources, posts."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse

from groundswell.context import Desk
from groundswell.store.dashboard import SENTIMENTS, event_timeline
from groundswell.store.events import event_posts, get_event, top_events
from groundswell.store.sources import list_sources
from groundswell.web.auth import Viewer
from groundswell.web.ui.render import int_param, page_viewer, render

WINDOWS = {1: "24h", 3: "3d", 7: "7d", 30: "30d"}


def router(desk: Desk) -> APIRouter:
    routes = APIRouter(include_in_schema=False)

    @routes.get("/events", response_class=HTMLResponse)
    def events_page(
        request: Request, days: str = "3", viewer: Viewer = Depends(page_viewer("events.view"))
    ) -> HTMLResponse:
        chosen = int_param(days, 3)
        days_shown = chosen if chosen in WINDOWS else 3
        with desk.engine.connect() as conn:
            rows = top_events(conn, since_hours=days_shown * 24, limit=100)
        return render(request, viewer, "events.html", events=rows, days=days_shown, windows=WINDOWS)

    @routes.get("/events/{event_id}", response_class=HTMLResponse)
    def event_page(
        request: Request, event_id: str, viewer: Viewer = Depends(page_viewer("events.view"))
    ) -> HTMLResponse:
        with desk.engine.connect() as conn:
            event = get_event(conn, event_id)
            if event is None:
                raise HTTPException(404, "no such event")
            span = event["last_seen"] - event["first_seen"]
            unit = "hour" if span.total_seconds() <= 4 * 86400 else "day"
            timeline = event_timeline(
                conn, event_id, unit, (event["first_seen"], event["last_seen"])
            )
            timeline_posts = event_posts(conn, event_id, limit=200)
            names = {s.id: s.name for s in list_sources(conn)}
        labels = [
            label[5:].replace("T", " ") if unit == "hour" else label for label in timeline["labels"]
        ]
        totals = [sum(column) for column in zip(*timeline["series"].values(), strict=True)]
        by_source = sorted(
            (
                (names.get(int(k), k) if str(k).isdigit() else k, n)
                for k, n in (event["sources"] or {}).items()
            ),
            key=lambda pair: -pair[1],
        )
        return render(
            request,
            viewer,
            "event.html",
            event=event,
            posts=timeline_posts,
            volume_chart={
                "type": "line",
                "labels": labels,
                "series": {"posts": totals},
            },
            sentiment_chart={
                "type": "bar",
                "stacked": True,
                "labels": labels,
                "series": {k: timeline["series"][k] for k in (*SENTIMENTS, "unknown")},
            },
            by_source=by_source,
        )

    return routes
