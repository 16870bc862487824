"""The page behind a signed acknowledgement link in an alert message.

GET shows the alert and one button; only the POST acknowledges, so a chat
app that fetches links for previews cannot acknowledge on someone's behalf.
The signature is the authority (no login needed); it is checked on both.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException
from fastapi.responses import HTMLResponse
from jinja2 import Environment, select_autoescape
from sqlalchemy import select

from groundswell.accounts import audit as audit_store
from groundswell.alerts.links import link_key, verify_ack
from groundswell.alerts.message import LEVEL_COLOURS, LEVEL_NAMES
from groundswell.context import Desk
from groundswell.errors import ConfigError
from groundswell.store.alerts import acknowledge, get_alert
from groundswell.store.tables_accounts import users

_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>确认预警 / Acknowledge alert #{{ alert.id }}</title></head>
<body>
<h1>[{{ level }} {{ colour }}] {{ alert.title }}</h1>
<p>{{ alert.reason }}</p>
<p>状态 / status: <strong>{{ alert.status }}</strong>
{% if alert.acknowledged_by %}({{ alert.acknowledged_by }}){% endif %}</p>
{% if message %}<p><strong>{{ message }}</strong></p>{% endif %}
{% if alert.status == "open" %}
<form method="post">
<input type="hidden" name="u" value="{{ u }}">
<input type="hidden" name="exp" value="{{ exp }}">
<input type="hidden" name="sig" value="{{ sig }}">
<button type="submit">确认收到 / Acknowledge</button>
</form>
{% endif %}
</body></html>
"""

_TEMPLATE = Environment(autoescape=select_autoescape(default=True)).from_string(_PAGE)
_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # the link's signature must not leak onwards
    "Cache-Control": "no-store",
}


def ack_router(desk: Desk) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    def check(alert_id: int, u: int, exp: int, sig: str) -> dict:
        with desk.engine.begin() as conn:
            key = link_key(conn)
            try:
                verify_ack(key, alert_id, u, exp, sig, datetime.now(UTC))
                return get_alert(conn, alert_id)
            except ConfigError as exc:
                raise HTTPException(403, str(exc)) from None

    def page(alert: dict, u: int, exp: int, sig: str, message: str = "") -> HTMLResponse:
        html = _TEMPLATE.render(
            alert=alert,
            level=LEVEL_NAMES[alert["level"]],
            colour=LEVEL_COLOURS[alert["level"]],
            u=u,
            exp=exp,
            sig=sig,
            message=message,
        )
        return HTMLResponse(html, headers=_HEADERS)

    @router.get("/alerts/{alert_id}/ack", response_class=HTMLResponse)
    def ack_page(alert_id: int, u: int, exp: int, sig: str) -> HTMLResponse:
        return page(check(alert_id, u, exp, sig), u, exp, sig)

    @router.post("/alerts/{alert_id}/ack", response_class=HTMLResponse)
    def ack_link(
        alert_id: int,
        u: Annotated[int, Form()],
        exp: Annotated[int, Form()],
        sig: Annotated[str, Form(max_length=100)],
    ) -> HTMLResponse:
        check(alert_id, u, exp, sig)
        with desk.engine.begin() as conn:
            person = conn.execute(select(users.c.id, users.c.name).where(users.c.id == u)).first()
            actor = f"{person.name} (signed link)" if person else "signed link (group channel)"
            changed = acknowledge(conn, alert_id, actor)
            if changed:
                audit_store.record(
                    conn,
                    user_id=person.id if person else None,
                    actor=actor[:100],
                    action="alert.ack",
                    target=f"alert:{alert_id}",
                    detail={"via": "signed link"},
                    ip=None,
                )
            alert = get_alert(conn, alert_id)
        done = "已确认 / Acknowledged." if changed else "此前已确认 / Already acknowledged."
        return page(alert, u, exp, sig, done)

    return router
