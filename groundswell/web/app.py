"""The HTTP API (FastAPI): search, sources and their health, the push endpoint, analysis,
accounts.

Every route needs a signed-in viewer with a permission (groundswell.web.auth),
except /healthz, /metrics (loopback by default), the push endpoint (its own
per-source bearer token) and sign-in itself.
"""

from __future__ import annotations

import asyncio
import hmac
import json
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.exc import DataError

from groundswell import __version__
from groundswell.alerts.service import AlertService
from groundswell.collect.fetcher import PoliteFetcher
from groundswell.collect.scheduler import Scheduler
from groundswell.context import Desk
from groundswell.errors import ConfigError, ParseError, QueryError
from groundswell.metrics import REGISTRY, RUNS, count_ingest
from groundswell.sources.push import parse_push_payload
from groundswell.sources.registry import build_source
from groundswell.store.retention import retention_loop
from groundswell.store.search import SearchQuery, search_posts
from groundswell.store.sources import RunOutcome, find_source, list_sources, record_run
from groundswell.web.accounts_api import accounts_router
from groundswell.web.alerts_api import alerts_router
from groundswell.web.analysis_api import analysis_router
from groundswell.web.auth import Viewer, require
from groundswell.web.ui import mount_ui

MAX_PUSH_BYTES = 20_000_000


def source_json(record: Any) -> dict[str, Any]:
    """A source with its health; push tokens are never shown."""
    config = {k: v for k, v in record.config.items() if k != "token"}
    return {
        "name": record.name,
        "kind": record.kind,
        "config": config,
        "status": record.status,
        "enabled": record.enabled,
        "last_success_at": _iso(record.last_success_at),
        "last_attempt_at": _iso(record.last_attempt_at),
        "next_due_at": _iso(record.next_due_at),
        "consecutive_failures": record.consecutive_failures,
        "last_error": record.last_error,
        "posts_total": record.posts_total,
        "authority_tier": record.authority_tier,
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def create_app(
    desk: Desk, *, run_scheduler: bool = False, run_alerts: bool | None = None
) -> FastAPI:
    """Build the API for `desk`; with `run_scheduler` the collector runs in the same loop,
    and with `run_alerts` (default: as `run_scheduler`) the alert engine and sender too."""
    alerts_on = run_scheduler if run_alerts is None else run_alerts

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        stop = asyncio.Event()
        tasks: list[asyncio.Task[None]] = []
        if alerts_on:
            service = AlertService(desk)
            app.state.alerts = service
            tasks.append(asyncio.create_task(service.run(stop)))
        async with AsyncExitStack() as stack:
            if run_scheduler:
                fetcher = await stack.enter_async_context(PoliteFetcher(desk.fetch_policy()))
                tasks.append(asyncio.create_task(Scheduler(desk, fetcher).run(stop)))
                tasks.append(asyncio.create_task(retention_loop(desk.engine, desk.settings, stop)))
            try:
                yield
            finally:
                stop.set()
                await asyncio.gather(*tasks)

    app = FastAPI(title="Groundswell", version=__version__, lifespan=lifespan)
    app.state.desk = desk  # for the auth dependencies (groundswell.web.auth)

    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    async def _unstorable(_request: Request, _exc: Exception) -> JSONResponse:
        """Values the database cannot hold (an id beyond 64 bits, a NUL byte in text on
        PostgreSQL) are the request's fault: say so, without echoing SQL."""
        detail = "a value in the request cannot be stored (a number out of range or a NUL byte)"
        return JSONResponse({"detail": detail}, 400)

    @app.exception_handler(QueryError)
    async def _bad_query(_request: Request, exc: QueryError) -> JSONResponse:
        return JSONResponse({"detail": str(exc), "position": exc.position}, status_code=400)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        with desk.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return {"status": "ok", "database": desk.engine.dialect.name, "version": __version__}

    @app.get("/metrics", response_class=PlainTextResponse)
    def metrics() -> PlainTextResponse:
        """Prometheus counters: items stored/duplicate/quarantined, runs, ingest time."""
        return PlainTextResponse(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    @app.get("/api/posts")
    def posts(
        _viewer: Annotated[Viewer, Depends(require("posts.view"))],
        q: str = "",
        since: datetime | None = None,
        until: datetime | None = None,
        source: str | None = None,
        lang: str | None = None,
        order: Literal["newest", "relevance"] = "newest",
        limit: Annotated[int, Query(ge=1, le=1000)] = 20,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> dict[str, Any]:
        """Search posts: every word of `q` must match (Chinese is segmented with jieba)."""
        query = SearchQuery(q, since, until, source, lang, order, limit, offset)
        with desk.engine.connect() as conn:
            hits = search_posts(conn, query)
        return {"items": [h.to_json() for h in hits], "count": len(hits)}

    @app.get("/api/sources")
    def sources(_viewer: Annotated[Viewer, Depends(require("sources.view"))]) -> dict[str, Any]:
        with desk.engine.connect() as conn:
            return {"items": [source_json(r) for r in list_sources(conn)]}

    @app.post("/api/push/{source_name}")
    async def push(
        source_name: str,
        request: Request,
        authorization: Annotated[str | None, Header()] = None,
    ) -> dict[str, Any]:
        """Receive a JSON batch `{"items": [...]}` for a push source (Bearer token)."""
        with desk.engine.connect() as conn:
            record = find_source(conn, source_name)
        if record is None or record.kind != "push":
            raise HTTPException(404, f"no push source named {source_name!r}")
        try:
            source = build_source(record.kind, record.config)
        except ConfigError as exc:
            raise HTTPException(500, str(exc)) from exc
        token = (authorization or "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(token.encode(), source.config.token.encode()):
            raise HTTPException(401, "missing or wrong bearer token")
        body = await _read_limited(request, MAX_PUSH_BYTES)
        try:
            payload = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise HTTPException(400, f"body is not valid JSON: {exc}") from exc
        try:
            batch = parse_push_payload(payload, source.config.max_batch)
        except ParseError as exc:
            raise HTTPException(400, str(exc)) from exc
        started = datetime.now(UTC)
        result = await asyncio.to_thread(
            desk.pipeline.ingest, record.id, batch.items, batch.rejected
        )
        if result.stored and getattr(request.app.state, "alerts", None) is not None:
            request.app.state.alerts.poke()  # judge the new posts now, not at the next tick
        outcome = RunOutcome(
            source_id=record.id,
            started_at=started,
            finished_at=datetime.now(UTC),
            status="ok",
            items=len(batch.items),
            stored=result.stored,
            duplicates=result.duplicates,
            quarantined=result.quarantined,
        )
        await asyncio.to_thread(_record_run, desk, outcome)
        RUNS.labels(record.name, "ok").inc()
        count_ingest(record.name, result.stored, result.duplicates, result.quarantined)
        return {
            "accepted": len(batch.items),
            "stored": result.stored,
            "duplicates": result.duplicates,
            "quarantined": result.quarantined,
        }

    app.include_router(accounts_router(desk))
    app.include_router(analysis_router(desk))
    app.include_router(alerts_router(desk))
    mount_ui(app, desk)
    return app


async def _read_limited(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"body larger than {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPException(413, f"body larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _record_run(desk: Desk, outcome: RunOutcome) -> None:
    with desk.engine.begin() as conn:
        record_run(conn, outcome)
