"""Alerts in the app: the list (refreshing itself), one alert with its evidence and every
delivery attempt, acknowledge and resolve, and the viewer's in-app notifications."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select, update

from groundswell.accounts.roles import in_scope_name
from groundswell.alerts.message import LEVEL_COLOURS, LEVEL_NAMES
from groundswell.context import Desk
from groundswell.errors import ConfigError
from groundswell.store.alert_rules import list_channels
from groundswell.store.alerts import acknowledge, alert_deliveries, get_alert, list_alerts, resolve
from groundswell.store.tables import posts, sources
from groundswell.store.tables_alerts import notifications
from groundswell.web.auth import Viewer, audit, client_ip, require
from groundswell.web.ui.render import N_, fragment, page_viewer, render

STATUSES = ("open", "acknowledged", "resolved")
# Shown through _() in the templates: listed here so the catalogues carry them.
DYNAMIC_MESSAGES = (
    N_("open"), N_("acknowledged"), N_("resolved"), N_("all"),
    N_("red"), N_("orange"), N_("yellow"), N_("blue"),
    N_("raised"), N_("escalated"), N_("updated"),
    N_("pending"), N_("sent"), N_("dead"),
)  # fmt: skip


def _levels() -> dict[int, dict[str, str]]:
    return {n: {"name": LEVEL_NAMES[n], "colour": LEVEL_COLOURS[n]} for n in LEVEL_NAMES}


def router(desk: Desk) -> APIRouter:
    routes = APIRouter(include_in_schema=False)

    def visible(viewer: Viewer, status: str | None) -> list[dict[str, Any]]:
        with desk.engine.connect() as conn:
            rows = list_alerts(conn, status=status, limit=500)
        return [a for a in rows if in_scope_name(viewer, a["department"])][:200]

    def unread(viewer: Viewer) -> list[dict[str, Any]]:
        with desk.engine.connect() as conn:
            rows = conn.execute(
                select(notifications)
                .where(notifications.c.user_id == viewer.user_id, notifications.c.read_at.is_(None))
                .order_by(notifications.c.id.desc())
                .limit(20)
            ).all()
        return [dict(r._mapping) for r in rows]

    def scoped(conn: Any, alert_id: int, viewer: Viewer) -> dict[str, Any]:
        try:
            alert = get_alert(conn, alert_id)
        except ConfigError:
            raise HTTPException(404, "no such alert") from None
        if not in_scope_name(viewer, alert["department"]):
            raise HTTPException(404, "no such alert")
        return alert

    @routes.get("/alerts", response_class=HTMLResponse)
    def alerts_page(
        request: Request, status: str = "open", viewer: Viewer = Depends(page_viewer("alerts.view"))
    ) -> HTMLResponse:
        status = status if status in (*STATUSES, "all") else "open"
        return render(
            request,
            viewer,
            "alerts.html",
            alerts=visible(viewer, None if status == "all" else status),
            status=status,
            statuses=(*STATUSES, "all"),
            notes=unread(viewer),
            levels=_levels(),
        )

    @routes.get("/alerts/live", response_class=HTMLResponse)
    def alerts_live(
        request: Request, status: str = "open", viewer: Viewer = Depends(page_viewer("alerts.view"))
    ) -> HTMLResponse:
        """The list and the notifications again, for the page's periodic refresh (htmx)."""
        status = status if status in (*STATUSES, "all") else "open"
        html = fragment(
            request,
            viewer,
            "partials/alert_rows.html",
            alerts=visible(viewer, None if status == "all" else status),
            status=status,
            notes=unread(viewer),
            levels=_levels(),
        )
        return HTMLResponse(html)

    @routes.get("/alerts/badge", response_class=HTMLResponse)
    def alerts_badge(viewer: Viewer = Depends(page_viewer("alerts.view"))) -> HTMLResponse:
        """The topbar bell on every page: unread in-app notifications, polled by htmx."""
        count = len(unread(viewer))
        badge = f' <span class="badge lvl-1" id="unread">{count}</span>' if count else ""
        return HTMLResponse(badge)

    @routes.get("/alerts/{alert_id}", response_class=HTMLResponse)
    def alert_page(
        request: Request, alert_id: int, viewer: Viewer = Depends(page_viewer("alerts.view"))
    ) -> HTMLResponse:
        with desk.engine.begin() as conn:
            alert = scoped(conn, alert_id, viewer)
            deliveries = alert_deliveries(conn, alert_id)
            channels = {c.id: c for c in list_channels(conn)}
            ids = list(alert["evidence"].get("post_ids", []))[:50]
            evidence = (
                conn.execute(
                    select(
                        posts.c.id,
                        posts.c.title,
                        posts.c.text,
                        posts.c.url,
                        posts.c.sort_at,
                        posts.c.sentiment,
                        sources.c.name.label("source"),
                    )
                    .join(sources, sources.c.id == posts.c.source_id)
                    .where(posts.c.id.in_(ids))
                    .order_by(posts.c.sort_at)
                ).all()
                if ids
                else []
            )
            # Opening the alert reads its notifications.
            conn.execute(
                update(notifications)
                .where(
                    notifications.c.user_id == viewer.user_id,
                    notifications.c.alert_id == alert_id,
                    notifications.c.read_at.is_(None),
                )
                .values(read_at=datetime.now(UTC))
            )
        return render(
            request,
            viewer,
            "alert.html",
            alert=alert,
            findings=alert["evidence"].get("findings", []),
            evidence=[dict(r._mapping) for r in evidence],
            deliveries=[
                {
                    **d,
                    "channel": channels[d["channel_id"]].name
                    if d["channel_id"] in channels
                    else d["channel_id"],
                }
                for d in deliveries
            ],
            levels=_levels(),
        )

    @routes.post("/alerts/{alert_id}/acknowledge")
    def acknowledge_form(
        request: Request, alert_id: int, viewer: Viewer = Depends(require("alerts.ack"))
    ) -> RedirectResponse:
        with desk.engine.begin() as conn:
            scoped(conn, alert_id, viewer)
            if acknowledge(conn, alert_id, viewer.name):
                audit(conn, viewer, "alert.ack", f"alert:{alert_id}", ip=client_ip(request))
        return RedirectResponse(f"/alerts/{alert_id}", status_code=303)

    @routes.post("/alerts/{alert_id}/resolve")
    def resolve_form(
        request: Request, alert_id: int, viewer: Viewer = Depends(require("alerts.ack"))
    ) -> RedirectResponse:
        with desk.engine.begin() as conn:
            scoped(conn, alert_id, viewer)
            resolve(conn, alert_id, viewer.name)
            audit(conn, viewer, "alert.resolve", f"alert:{alert_id}", ip=client_ip(request))
        return RedirectResponse(f"/alerts/{alert_id}", status_code=303)

    return routes
