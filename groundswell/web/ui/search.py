"""Search with the monitoring query language: highlighted matches, filters, CSV/JSONL export.

The query is compiled with analyze/query (the same matcher as schemes), and
posts of the chosen window are scanned newest first (store/dashboard.scan_posts,
bounded by the window and a scan cap), so `OR`, `NOT`, `NEAR/n`, phrases and
field filters all work, and the terms that hit are the ones highlighted.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, StreamingResponse

from groundswell.analyze.query import Query, compile_query
from groundswell.context import Desk
from groundswell.errors import QueryError
from groundswell.store.dashboard import scan_posts
from groundswell.store.sources import list_sources
from groundswell.web.auth import Viewer, audit, client_ip
from groundswell.web.ui.render import float_param, page_viewer, render

PAGE = 50
EXPORT_MAX = 10_000
SENTIMENTS = ("negative", "neutral", "positive")
EXPORT_FIELDS = ("id", "time", "source", "lang", "sentiment", "title", "text", "url", "terms")


def _hits(
    desk: Desk, query: Query, days: float, source: str, lang: str, sentiment: str, limit: int
) -> Iterator[dict[str, Any]]:
    """Matching posts with their terms, newest first, at most `limit`."""
    since = datetime.now(UTC) - timedelta(days=min(max(days, 0.05), 366.0))
    with desk.engine.connect() as conn:
        found = scan_posts(
            conn,
            query,
            since=since,
            source=source or None,
            lang=lang or None,
            sentiment=sentiment if sentiment in SENTIMENTS else None,
        )
        for row, match in islice(found, limit):
            yield {**row, "terms": list(match.terms)}
        found.close()


def _export_row(hit: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": hit["id"],
        "time": hit["sort_at"].isoformat(),
        "source": hit["source"],
        "lang": hit["lang"],
        "sentiment": hit["sentiment"],
        "title": hit["title"],
        "text": hit["text"],
        "url": hit["url"],
        "terms": hit["terms"],
    }


def _csv_cell(value: Any) -> str:
    """Cells a spreadsheet would run as formulas (=, +, -, @) are quoted with a '."""
    text = " ".join(value) if isinstance(value, list) else "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv_lines(hits: Iterator[dict[str, Any]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_FIELDS)
    for hit in hits:
        row = _export_row(hit)
        writer.writerow([_csv_cell(row[field]) for field in EXPORT_FIELDS])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def _jsonl_lines(hits: Iterator[dict[str, Any]]) -> Iterator[str]:
    for hit in hits:
        yield json.dumps(_export_row(hit), ensure_ascii=False) + "\n"


def router(desk: Desk) -> APIRouter:
    routes = APIRouter(include_in_schema=False)

    @routes.get("/search", response_class=HTMLResponse)
    def search_page(
        request: Request,
        q: str = "",
        days: str = "7",
        source: str = "",
        lang: str = "",
        sentiment: str = "",
        viewer: Viewer = Depends(page_viewer("posts.view")),
    ) -> HTMLResponse:
        window = float_param(days, 7.0)
        error: QueryError | None = None
        hits: list[dict[str, Any]] = []
        if q.strip():
            try:
                query = compile_query(q[:5000])
            except QueryError as exc:
                error = exc
            else:
                hits = list(_hits(desk, query, window, source, lang, sentiment, PAGE))
        with desk.engine.connect() as conn:
            source_names = [s.name for s in list_sources(conn)]
        return render(
            request,
            viewer,
            "search.html",
            q=q,
            chosen={"days": window, "source": source, "lang": lang, "sentiment": sentiment},
            sources=source_names,
            sentiments=SENTIMENTS,
            hits=hits,
            error=error,
            page_size=PAGE,
            export_query=request.url.query,
        )

    @routes.get("/search/export.{fmt}", response_model=None)
    def export(
        request: Request,
        fmt: str,
        q: str,
        days: str = "7",
        source: str = "",
        lang: str = "",
        sentiment: str = "",
        viewer: Viewer = Depends(page_viewer("posts.view")),
    ) -> StreamingResponse | HTMLResponse:
        """Streamed: rows leave as they are found (at most EXPORT_MAX)."""
        if fmt not in ("csv", "jsonl"):
            return HTMLResponse("unknown export format", status_code=404)
        try:
            query = compile_query(q[:5000])
        except QueryError as exc:
            return HTMLResponse(f"bad query: {exc}", status_code=400)
        with desk.engine.begin() as conn:
            audit(
                conn,
                viewer,
                "search.export",
                f"query:{q[:200]}",
                {"format": fmt},
                ip=client_ip(request),
            )
        hits = _hits(desk, query, float_param(days, 7.0), source, lang, sentiment, EXPORT_MAX)
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        if fmt == "csv":
            body, media = _csv_lines(hits), "text/csv; charset=utf-8"
        else:
            body, media = _jsonl_lines(hits), "application/x-ndjson; charset=utf-8"
        headers = {"Content-Disposition": f'attachment; filename="search-{stamp}.{fmt}"'}
        return StreamingResponse(body, media_type=media, headers=headers)

    return routes
