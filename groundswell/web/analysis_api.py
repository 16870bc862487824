"""API for the analysis side: schemes (with backtest), events, spikes, sentiment corrections.

Every route needs a permission (groundswell.accounts.roles); monitors and duty
officers see and edit only their own department's schemes (and their spikes).
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import Connection, select

from groundswell.accounts.roles import SCOPED_ROLES, in_scope_name
from groundswell.context import Desk
from groundswell.errors import ConfigError
from groundswell.store.tables import schemes as schemes_table
from groundswell.web.auth import Viewer, audit, client_ip, require

__all__ = ["analysis_router"]


class SchemeIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    subject_words: list[str] = Field(default_factory=list, max_length=500)
    region_words: list[str] = Field(default_factory=list, max_length=500)
    event_words: list[str] = Field(default_factory=list, max_length=500)
    exclusion_words: list[str] = Field(default_factory=list, max_length=500)
    query: str = Field("", max_length=5000)
    department: str | None = Field(None, max_length=200)


class BacktestIn(BaseModel):
    query: str = Field(min_length=1, max_length=5000)
    days: float = Field(7.0, gt=0, le=3660)
    sample: int = Field(10, ge=0, le=100)


class CorrectionIn(BaseModel):
    label: Literal["negative", "neutral", "positive"]


class SchemePatch(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=200)
    subject_words: list[str] | None = Field(None, max_length=500)
    region_words: list[str] | None = Field(None, max_length=500)
    event_words: list[str] | None = Field(None, max_length=500)
    exclusion_words: list[str] | None = Field(None, max_length=500)
    query: str | None = Field(None, max_length=5000)
    department: str | None = Field(None, max_length=200)
    enabled: bool | None = None


def _scheme_json(scheme: Any, department: str | None) -> dict[str, Any]:
    from groundswell.store.schemes import scheme_text

    return {**asdict(scheme), "department": department, "compiled": scheme_text(scheme)}


def _departments(conn: Connection) -> dict[int, str | None]:
    """Scheme id -> its department's name (the Scheme dataclass does not carry it)."""
    rows = conn.execute(select(schemes_table.c.id, schemes_table.c.department))
    return {row.id: row.department for row in rows}


def _department_for(viewer: Viewer, department: str | None) -> str | None:
    """The department a viewer may file a scheme under: scoped roles only their own
    (and theirs by default)."""
    if viewer.role in SCOPED_ROLES and department is None:
        department = viewer.department
    if not in_scope_name(viewer, department):
        raise HTTPException(403, "you may only file schemes under your own department")
    return department


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items()}


def analysis_router(desk: Desk) -> APIRouter:
    router = APIRouter(prefix="/api")

    @router.get("/schemes")
    def list_schemes_api(
        viewer: Annotated[Viewer, Depends(require("schemes.view"))],
    ) -> list[dict[str, Any]]:
        """The schemes in the viewer's scope."""
        from groundswell.store.schemes import list_schemes

        with desk.engine.connect() as conn:
            depts = _departments(conn)
            return [
                _scheme_json(s, depts.get(s.id))
                for s in list_schemes(conn)
                if in_scope_name(viewer, depts.get(s.id))
            ]

    @router.get("/schemes/{scheme_id}")
    def get_scheme_api(
        scheme_id: int, viewer: Annotated[Viewer, Depends(require("schemes.view"))]
    ) -> dict[str, Any]:
        with desk.engine.connect() as conn:
            scheme, department = _scheme_in_scope(conn, viewer, scheme_id)
        return _scheme_json(scheme, department)

    @router.post("/schemes", status_code=201)
    def add_scheme_api(
        body: SchemeIn,
        request: Request,
        viewer: Annotated[Viewer, Depends(require("schemes.edit"))],
    ) -> dict[str, Any]:
        """Invalid queries answer 400 with the position of the problem."""
        from groundswell.store.schemes import add_scheme

        department = _department_for(viewer, body.department)
        try:
            with desk.engine.begin() as conn:
                scheme = add_scheme(
                    conn,
                    body.name,
                    subject_words=body.subject_words,
                    region_words=body.region_words,
                    event_words=body.event_words,
                    exclusion_words=body.exclusion_words,
                    query=body.query,
                    department=department,
                )
                audit(
                    conn,
                    viewer,
                    "scheme.create",
                    f"scheme:{scheme.id}",
                    {"name": scheme.name, "department": department},
                    client_ip(request),
                )
        except ConfigError as exc:
            raise HTTPException(409 if "already exists" in str(exc) else 400, str(exc)) from exc
        return _scheme_json(scheme, department)

    @router.patch("/schemes/{scheme_id}")
    def update_scheme_api(
        scheme_id: int,
        body: SchemePatch,
        request: Request,
        viewer: Annotated[Viewer, Depends(require("schemes.edit"))],
    ) -> dict[str, Any]:
        """Change boxes, query, name, department or enabled; validated before saving."""
        from groundswell.store.schemes import update_scheme

        changes = body.model_dump(include=body.model_fields_set)
        for key in ("name", "query", "enabled", *(f for f in changes if f.endswith("_words"))):
            if key in changes and changes[key] is None:
                raise HTTPException(400, f"{key} cannot be null")
        try:
            with desk.engine.begin() as conn:
                _, department = _scheme_in_scope(conn, viewer, scheme_id)
                if "department" in changes:
                    department = _department_for(viewer, changes["department"])
                    changes["department"] = department
                scheme = update_scheme(conn, scheme_id, **changes)
                audit(
                    conn,
                    viewer,
                    "scheme.update",
                    f"scheme:{scheme_id}",
                    changes,
                    client_ip(request),
                )
        except ConfigError as exc:
            raise HTTPException(409 if "already exists" in str(exc) else 400, str(exc)) from exc
        return _scheme_json(scheme, department)

    @router.delete("/schemes/{scheme_id}", status_code=204)
    def remove_scheme_api(
        scheme_id: int,
        request: Request,
        viewer: Annotated[Viewer, Depends(require("schemes.edit"))],
    ) -> None:
        from groundswell.store.schemes import remove_scheme

        with desk.engine.begin() as conn:
            scheme, _ = _scheme_in_scope(conn, viewer, scheme_id)
            remove_scheme(conn, scheme_id)
            audit(
                conn,
                viewer,
                "scheme.delete",
                f"scheme:{scheme_id}",
                {"name": scheme.name},
                client_ip(request),
            )

    @router.post("/schemes/backtest")
    async def backtest_api(
        body: BacktestIn, _viewer: Annotated[Viewer, Depends(require("schemes.view"))]
    ) -> dict[str, Any]:
        """How many stored posts of the last N days a query would match, with a sample."""
        from groundswell.analyze.backtest import backtest_query

        def run() -> dict[str, Any]:
            with desk.engine.connect() as conn:
                return asdict(backtest_query(conn, body.query, days=body.days, sample=body.sample))

        return await asyncio.to_thread(run)

    @router.get("/events")
    def events_api(
        _viewer: Annotated[Viewer, Depends(require("events.view"))],
        hours: Annotated[float, Query(gt=0, le=24 * 366)] = 72,
        limit: Annotated[int, Query(ge=1, le=500)] = 20,
    ) -> list[dict[str, Any]]:
        """The hottest events seen in the last `hours`."""
        from groundswell.store.events import top_events

        with desk.engine.connect() as conn:
            return [_jsonable(row) for row in top_events(conn, since_hours=hours, limit=limit)]

    @router.get("/events/{event_id}")
    def event_api(
        event_id: str, _viewer: Annotated[Viewer, Depends(require("events.view"))]
    ) -> dict[str, Any]:
        from groundswell.store.events import event_posts, get_event

        with desk.engine.connect() as conn:
            event = get_event(conn, event_id)
            if event is None:
                raise HTTPException(404, f"no event {event_id!r}")
            timeline = [_jsonable(p) for p in event_posts(conn, event_id)]
        return {**_jsonable(event), "posts": timeline}

    @router.get("/spikes")
    async def spikes_api(
        viewer: Annotated[Viewer, Depends(require("events.view"))],
        window: Literal["hour", "day"] = "hour",
        at: datetime | None = None,
    ) -> list[dict[str, Any]]:
        """Schemes and events whose last window is a volume or negative-share spike (scheme
        spikes only for schemes in the viewer's scope)."""
        from groundswell.analyze.detect import detect_spikes

        now = at or datetime.now(UTC)
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)

        def run() -> list[dict[str, Any]]:
            with desk.engine.connect() as conn:
                depts = _departments(conn)
                return [
                    s.as_dict()
                    for s in detect_spikes(conn, now, window)
                    if s.subject_kind != "scheme"
                    or in_scope_name(viewer, depts.get(int(s.subject_id)))
                ]

        return await asyncio.to_thread(run)

    @router.post("/posts/{post_id}/sentiment")
    def correct_sentiment_api(
        post_id: int,
        body: CorrectionIn,
        request: Request,
        viewer: Annotated[Viewer, Depends(require("posts.correct"))],
    ) -> dict[str, Any]:
        """An analyst's correction: applied now, and used by the next `train sentiment`."""
        from groundswell.store.analysis import add_correction

        try:
            with desk.engine.begin() as conn:
                correction = add_correction(conn, post_id, body.label, created_by=viewer.name)
                audit(
                    conn,
                    viewer,
                    "post.sentiment",
                    f"post:{post_id}",
                    {"label": body.label, "previous": correction.get("previous_label")},
                    client_ip(request),
                )
        except ConfigError as exc:
            raise HTTPException(404, str(exc)) from exc
        return _jsonable(correction)

    return router


def _scheme_in_scope(conn: Connection, viewer: Viewer, scheme_id: int) -> tuple[Any, str | None]:
    """The scheme and its department; 404 also when it is outside the viewer's scope (a
    monitor does not learn other departments' schemes exist)."""
    from groundswell.store.schemes import get_scheme

    try:
        scheme = get_scheme(conn, scheme_id)
    except ConfigError as exc:
        raise HTTPException(404, str(exc)) from exc
    department = _departments(conn).get(scheme.id)
    if not in_scope_name(viewer, department):
        raise HTTPException(404, f"no scheme {scheme_id!r}")
    return scheme, department
