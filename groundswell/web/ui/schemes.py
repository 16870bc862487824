"""Monitoring schemes: list, and the editor (four boxes, advanced query, live validation,
backtest before saving). Scoped roles see and edit only their department's schemes."""

from __future__ import annotations

import asyncio
import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy import Connection, select

from groundswell.accounts.roles import SCOPED_ROLES, in_scope_name
from groundswell.accounts.users import list_departments
from groundswell.analyze.backtest import backtest_query
from groundswell.analyze.query import format_query
from groundswell.analyze.schemes import Scheme, scheme_query
from groundswell.context import Desk
from groundswell.errors import ConfigError, QueryError
from groundswell.store.schemes import add_scheme, get_scheme, remove_scheme, update_scheme
from groundswell.store.tables import schemes as schemes_table
from groundswell.web.auth import Viewer, audit, client_ip, require
from groundswell.web.ui.render import fragment, page_viewer, render

BOXES = ("subject_words", "region_words", "event_words", "exclusion_words")
_SPLIT = re.compile(r"[\n,，;；]+")


def split_box(value: str) -> list[str]:
    """A box as typed: one entry per line (commas also separate), blanks dropped."""
    return [part.strip() for part in _SPLIT.split(value[:20_000]) if part.strip()][:500]


def _departments(conn: Connection) -> dict[int, str]:
    return {
        row[0]: row[1]
        for row in conn.execute(select(schemes_table.c.id, schemes_table.c.department))
    }


def _draft(name: str, boxes: dict[str, str], query: str) -> Scheme:
    return Scheme(
        id=0,
        name=name or "draft",
        query=query.strip()[:5000],
        **{box: split_box(boxes[box]) for box in BOXES},
    )


def _compile(draft: Scheme) -> tuple[str | None, QueryError | None]:
    try:
        return format_query(scheme_query(draft)), None
    except QueryError as exc:
        return None, exc


class SchemeForm(BaseModel):
    """The editor's fields: the four boxes (one word or phrase per line), the query."""

    name: str = ""
    subject_words: str = ""
    region_words: str = ""
    event_words: str = ""
    exclusion_words: str = ""
    query: str = ""
    department: str = ""

    def boxes(self) -> dict[str, str]:
        return {box: getattr(self, box) for box in BOXES}


def router(desk: Desk) -> APIRouter:
    routes = APIRouter(include_in_schema=False)

    def department_for(viewer: Viewer, requested: str) -> str | None:
        if viewer.role in SCOPED_ROLES:
            return viewer.department
        return requested.strip() or None

    def scheme_or_404(
        conn: Connection, viewer: Viewer, scheme_id: int
    ) -> tuple[Scheme, str | None]:
        try:
            scheme = get_scheme(conn, scheme_id)
        except ConfigError as exc:
            raise HTTPException(404, "no such scheme") from exc
        department = _departments(conn).get(scheme.id)
        if not in_scope_name(viewer, department):
            raise HTTPException(404, "no such scheme")
        return scheme, department

    def editor(
        request: Request,
        viewer: Viewer,
        scheme: Scheme | None,
        department: str | None,
        *,
        error: str | None = None,
        status: int = 200,
    ) -> HTMLResponse:
        with desk.engine.connect() as conn:
            departments = [d.name for d in list_departments(conn)]
        compiled, query_error = _compile(scheme) if scheme and scheme.id else (None, None)
        return render(
            request,
            viewer,
            "scheme_edit.html",
            status_code=status,
            scheme=scheme,
            department=department,
            departments=departments,
            error=error,
            compiled=compiled,
            query_error=query_error,
            scoped=viewer.role in SCOPED_ROLES,
        )

    @routes.get("/schemes", response_class=HTMLResponse)
    def schemes_page(
        request: Request, viewer: Viewer = Depends(page_viewer("schemes.view"))
    ) -> HTMLResponse:
        with desk.engine.connect() as conn:
            departments = _departments(conn)
            rows = []
            for scheme_id, department in departments.items():
                if in_scope_name(viewer, department):
                    scheme = get_scheme(conn, scheme_id)
                    rows.append((scheme, department, _compile(scheme)[0]))
        rows.sort(key=lambda row: row[0].name)
        return render(request, viewer, "schemes.html", rows=rows)

    @routes.get("/schemes/new", response_class=HTMLResponse)
    def new_scheme(
        request: Request, viewer: Viewer = Depends(page_viewer("schemes.edit"))
    ) -> HTMLResponse:
        return editor(
            request, viewer, None, viewer.department if viewer.role in SCOPED_ROLES else None
        )

    @routes.get("/schemes/{scheme_id}", response_class=HTMLResponse)
    def edit_scheme(
        request: Request, scheme_id: int, viewer: Viewer = Depends(page_viewer("schemes.view"))
    ) -> HTMLResponse:
        with desk.engine.connect() as conn:
            scheme, department = scheme_or_404(conn, viewer, scheme_id)
        return editor(request, viewer, scheme, department)

    @routes.post("/schemes/validate", response_class=HTMLResponse)
    def validate(
        request: Request,
        name: str = Form(""),
        subject_words: str = Form(""),
        region_words: str = Form(""),
        event_words: str = Form(""),
        exclusion_words: str = Form(""),
        query: str = Form(""),
        viewer: Viewer = Depends(require("schemes.view")),
    ) -> HTMLResponse:
        """As-you-type check: the compiled query, or the error with its position."""
        boxes = dict(
            zip(BOXES, (subject_words, region_words, event_words, exclusion_words), strict=True)
        )
        draft = _draft(name, boxes, query)
        if not any(getattr(draft, box) for box in BOXES) and not draft.query:
            return HTMLResponse(fragment(request, viewer, "partials/scheme_check.html",
                                         compiled=None, error=None, empty=True))  # fmt: skip
        compiled, error = _compile(draft)
        # The position refers to the advanced query when the error is in it.
        in_query = (
            error is not None
            and bool(query.strip())
            and _compile(_draft(name, boxes, ""))[1] is None
        )
        return HTMLResponse(
            fragment(
                request,
                viewer,
                "partials/scheme_check.html",
                compiled=compiled,
                error=error,
                query_text=query.strip() if in_query else compiled or "",
            )
        )

    @routes.post("/schemes/backtest", response_class=HTMLResponse)
    async def backtest(
        request: Request,
        name: str = Form(""),
        subject_words: str = Form(""),
        region_words: str = Form(""),
        event_words: str = Form(""),
        exclusion_words: str = Form(""),
        query: str = Form(""),
        days: float = Form(7.0),
        viewer: Viewer = Depends(require("schemes.view")),
    ) -> HTMLResponse:
        boxes = dict(
            zip(BOXES, (subject_words, region_words, event_words, exclusion_words), strict=True)
        )
        compiled, error = _compile(_draft(name, boxes, query))
        result: Any = None
        if compiled is not None:
            days = min(max(days, 0.05), 366.0)

            def run() -> Any:
                with desk.engine.connect() as conn:
                    return backtest_query(conn, compiled, days=days, sample=10)

            result = await asyncio.to_thread(run)
        return HTMLResponse(
            fragment(
                request,
                viewer,
                "partials/backtest.html",
                result=result,
                error=error,
                compiled=compiled,
                days=days,
            )
        )

    def save(
        request: Request,
        viewer: Viewer,
        scheme_id: int | None,
        name: str,
        boxes: dict[str, str],
        query: str,
        department: str,
    ) -> Response:
        words = {box: split_box(boxes[box]) for box in BOXES}
        target_department = department_for(viewer, department)
        try:
            if not name.strip():
                raise ConfigError("a scheme needs a name")
            with desk.engine.begin() as conn:
                if scheme_id is None:
                    scheme = add_scheme(
                        conn, name, query=query, department=target_department, **words
                    )
                    action = "scheme.create"
                else:
                    scheme_or_404(conn, viewer, scheme_id)
                    scheme = update_scheme(
                        conn,
                        scheme_id,
                        name=name.strip(),
                        query=query,
                        department=target_department,
                        **words,
                    )
                    action = "scheme.update"
                audit(
                    conn,
                    viewer,
                    action,
                    f"scheme:{scheme.id}",
                    {"name": scheme.name},
                    ip=client_ip(request),
                )
        except (ConfigError, QueryError) as exc:
            draft = _draft(name, boxes, query)
            draft.id = scheme_id or 0
            return editor(request, viewer, draft, target_department, error=str(exc), status=400)
        return RedirectResponse(f"/schemes/{scheme.id}?saved=1", status_code=303)

    @routes.post("/schemes")
    def create(
        request: Request,
        form: Annotated[SchemeForm, Form()],
        viewer: Viewer = Depends(require("schemes.edit")),
    ) -> Response:
        return save(request, viewer, None, form.name, form.boxes(), form.query, form.department)

    @routes.post("/schemes/{scheme_id}")
    def change(
        request: Request,
        scheme_id: int,
        form: Annotated[SchemeForm, Form()],
        viewer: Viewer = Depends(require("schemes.edit")),
    ) -> Response:
        return save(
            request, viewer, scheme_id, form.name, form.boxes(), form.query, form.department
        )

    @routes.post("/schemes/{scheme_id}/delete")
    def delete(
        request: Request, scheme_id: int, viewer: Viewer = Depends(require("schemes.edit"))
    ) -> Response:
        with desk.engine.begin() as conn:
            scheme, _department = scheme_or_404(conn, viewer, scheme_id)
            remove_scheme(conn, scheme_id)
            audit(
                conn,
                viewer,
                "scheme.delete",
                f"scheme:{scheme_id}",
                {"name": scheme.name},
                ip=client_ip(request),
            )
        return RedirectResponse("/schemes", status_code=303)

    return routes
