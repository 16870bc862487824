"""Sources: their health, adding one (config validated by its kind), and a test fetch that
shows what a pull source would yield without storing anything."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from groundswell.collect.fetcher import PoliteFetcher
from groundswell.context import Desk
from groundswell.errors import ConfigError, GroundswellError
from groundswell.sources.base import CollectContext
from groundswell.sources.registry import build_source, source_kinds
from groundswell.store.sources import (
    AUTHORITY_TIERS,
    add_source,
    get_source,
    list_sources,
    update_source,
)
from groundswell.web.auth import Viewer, audit, client_ip, require
from groundswell.web.ui.render import fragment, page_viewer, render

SAMPLE = 5


def parse_options(text: str) -> dict[str, Any]:
    """KEY=VALUE lines; numbers become ints, true/false booleans."""
    options: dict[str, Any] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"options are KEY=VALUE lines, got {line.strip()!r}")
        value = value.strip()
        lowered = value.lower()
        options[key.strip()] = (
            int(value) if value.isdigit() else lowered == "true" if lowered in ("true", "false")
            else value
        )  # fmt: skip
    return options


def router(desk: Desk) -> APIRouter:
    routes = APIRouter(include_in_schema=False)

    def page(
        request: Request,
        viewer: Viewer,
        *,
        status: int = 200,
        error: str | None = None,
        added: tuple[str, str | None] | None = None,
    ) -> HTMLResponse:
        with desk.engine.connect() as conn:
            rows = list_sources(conn)
        kinds = {name: cls.title for name, cls in sorted(source_kinds().items())}
        return render(
            request,
            viewer,
            "sources.html",
            status_code=status,
            sources=rows,
            kinds=kinds,
            tiers=AUTHORITY_TIERS,
            error=error,
            added=added,
        )

    @routes.get("/sources", response_class=HTMLResponse)
    def sources_page(
        request: Request, viewer: Viewer = Depends(page_viewer("sources.view"))
    ) -> HTMLResponse:
        return page(request, viewer)

    @routes.post("/sources", response_class=HTMLResponse)
    def add(
        request: Request,
        name: str = Form(""),
        kind: str = Form("rss"),
        url: str = Form(""),
        options: str = Form(""),
        interval: str = Form(""),
        tier: int = Form(4),
        viewer: Viewer = Depends(require("sources.edit")),
    ) -> HTMLResponse:
        """Push sources get a generated token, shown once."""
        token: str | None = None
        try:
            config = parse_options(options[:5000])
            if url.strip():
                config["url"] = url.strip()
            if kind == "push" and "token" not in config:
                token = config["token"] = secrets.token_urlsafe(24)
            source = build_source(kind, config)
            seconds = int(interval) if interval.strip() else None
            with desk.engine.begin() as conn:
                record = add_source(
                    conn,
                    name.strip(),
                    kind,
                    source.config.model_dump(),
                    interval_seconds=seconds,
                    authority_tier=tier,
                )
                detail = {"kind": kind, "tier": tier}
                audit(conn, viewer, "source.create", f"source:{record.id}", detail,
                      client_ip(request))  # fmt: skip
        except (ConfigError, ValidationError, ValueError) as exc:
            return page(request, viewer, status=400, error=str(exc))
        return page(request, viewer, added=(record.name, token))

    @routes.post("/sources/{source_id}/edit", response_class=HTMLResponse)
    def edit(
        request: Request,
        source_id: int,
        enabled: str = Form(""),
        interval: str = Form(""),
        tier: int = Form(4),
        viewer: Viewer = Depends(require("sources.edit")),
    ) -> HTMLResponse:
        """Pause or resume, change the interval and the authority tier; audited."""
        try:
            seconds = int(interval) if interval.strip() else None
            with desk.engine.begin() as conn:
                record = update_source(
                    conn,
                    source_id,
                    enabled=enabled == "on",
                    interval_seconds=seconds,
                    authority_tier=tier,
                )
                detail = {"enabled": record.enabled, "interval": seconds, "tier": tier}
                audit(conn, viewer, "source.update", f"source:{record.id}", detail,
                      client_ip(request))  # fmt: skip
        except (ConfigError, ValueError) as exc:
            return page(request, viewer, status=400, error=str(exc))
        return page(request, viewer)

    @routes.post("/sources/{source_id}/test", response_class=HTMLResponse)
    async def test_fetch(
        request: Request, source_id: int, viewer: Viewer = Depends(require("sources.edit"))
    ) -> Response:
        """Fetch once through the polite fetcher; nothing is stored, no state is kept."""
        with desk.engine.connect() as conn:
            try:
                record = get_source(conn, source_id)
            except ConfigError as exc:
                raise HTTPException(404, "no such source") from exc
        error: str | None = None
        items: list[Any] = []
        count = 0
        if record.kind == "push":
            error = "push"
        else:
            try:
                source = build_source(record.kind, record.config)
                async with PoliteFetcher(desk.fetch_policy()) as fetcher:
                    batch = await source.collect(CollectContext(fetcher=fetcher, state={}))
                count, items = len(batch.items), batch.items[:SAMPLE]
            except GroundswellError as exc:
                error = str(exc) or type(exc).__name__
        html = fragment(
            request,
            viewer,
            "partials/test_fetch.html",
            record=record,
            error=error,
            count=count,
            items=items,
        )
        return HTMLResponse(html)

    return routes
