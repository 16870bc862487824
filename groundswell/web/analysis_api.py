"""API for the analysis side: schemes (with backtest), events, spikes, sentiment corrections.

Authorisation arrives with accounts (issue 4); until then the API listens on
loopback by default (`host` setting) like the rest of it.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field

from groundswell.context import Desk
from groundswell.errors import ConfigError

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


def _scheme_json(scheme: Any) -> dict[str, Any]:
    from groundswell.store.schemes import scheme_text

    return {**asdict(scheme), "compiled": scheme_text(scheme)}


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items()}


def analysis_router(desk: Desk) -> APIRouter:
    router = APIRouter(prefix="/api")

    @router.get("/schemes")
    def list_schemes_api() -> list[dict[str, Any]]:
        from groundswell.store.schemes import list_schemes

        with desk.engine.connect() as conn:
            return [_scheme_json(s) for s in list_schemes(conn)]

    @router.post("/schemes", status_code=201)
    def add_scheme_api(body: SchemeIn) -> dict[str, Any]:
        """Invalid queries answer 400 with the position of the problem."""
        from groundswell.store.schemes import add_scheme

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
                    department=body.department,
                )
        except ConfigError as exc:
            raise HTTPException(409 if "already exists" in str(exc) else 400, str(exc)) from exc
        return _scheme_json(scheme)

    @router.delete("/schemes/{scheme_id}", status_code=204)
    def remove_scheme_api(scheme_id: int) -> None:
        from groundswell.store.schemes import remove_scheme

        try:
            with desk.engine.begin() as conn:
                remove_scheme(conn, scheme_id)
        except ConfigError as exc:
            raise HTTPException(404, str(exc)) from exc

    @router.post("/schemes/backtest")
    async def backtest_api(body: BacktestIn) -> dict[str, Any]:
        """How many stored posts of the last N days a query would match, with a sample."""
        from groundswell.analyze.backtest import backtest_query

        def run() -> dict[str, Any]:
            with desk.engine.connect() as conn:
                return asdict(backtest_query(conn, body.query, days=body.days, sample=body.sample))

        return await asyncio.to_thread(run)

    @router.get("/events")
    def events_api(
        hours: Annotated[float, Query(gt=0, le=24 * 366)] = 72,
        limit: Annotated[int, Query(ge=1, le=500)] = 20,
    ) -> list[dict[str, Any]]:
        """The hottest events seen in the last `hours`."""
        from groundswell.store.events import top_events

        with desk.engine.connect() as conn:
            return [_jsonable(row) for row in top_events(conn, since_hours=hours, limit=limit)]

    @router.get("/events/{event_id}")
    def event_api(event_id: str) -> dict[str, Any]:
        from groundswell.store.events import event_posts, get_event

        with desk.engine.connect() as conn:
            event = get_event(conn, event_id)
            if event is None:
                raise HTTPException(404, f"no event {event_id!r}")
            timeline = [_jsonable(p) for p in event_posts(conn, event_id)]
        return {**_jsonable(event), "posts": timeline}

    @router.get("/spikes")
    async def spikes_api(
        window: Literal["hour", "day"] = "hour", at: datetime | None = None
    ) -> list[dict[str, Any]]:
        """Schemes and events whose last window is a volume or negative-share spike."""
        from groundswell.analyze.detect import detect_spikes

        now = at or datetime.now(UTC)
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)

        def run() -> list[dict[str, Any]]:
            with desk.engine.connect() as conn:
                return [s.as_dict() for s in detect_spikes(conn, now, window)]

        return await asyncio.to_thread(run)

    @router.post("/posts/{post_id}/sentiment")
    def correct_sentiment_api(post_id: int, body: CorrectionIn) -> dict[str, Any]:
        """An analyst's correction: applied now, and used by the next `train sentiment`."""
        from groundswell.store.analysis import add_correction

        try:
            with desk.engine.begin() as conn:
                correction = add_correction(conn, post_id, body.label)
        except ConfigError as exc:
            raise HTTPException(404, str(exc)) from exc
        return _jsonable(correction)

    return router
