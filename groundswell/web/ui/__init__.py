"""The HTML screens: server-rendered Jinja2 templates, htmx, Chart.js, in zh-CN and en.

`mount_ui(app, desk)` adds the screens' routers, the static files (vendored
libraries included: nothing is fetched at run time) and the security headers.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from groundswell.context import Desk
from groundswell.web.ui.render import LoginRequired, PageForbidden, render

__all__ = ["CONTENT_SECURITY_POLICY", "SecurityHeaders", "mount_ui"]

STATIC = Path(__file__).parents[1] / "static"

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
]


# FastAPI's interactive API docs load Swagger UI / ReDoc with inline script from a CDN;
# they show no post content, so they keep the other headers but not the CSP.
CSP_EXEMPT = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})


class SecurityHeaders:
    """Pure ASGI middleware (streams such as the feed's SSE pass through untouched)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = SECURITY_HEADERS
        if scope.get("path") in CSP_EXEMPT:
            headers = [h for h in SECURITY_HEADERS if h[0] != b"content-security-policy"]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in headers if k not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def mount_ui(app: FastAPI, desk: Desk) -> None:
    """Add the screens to `app` (called last in create_app)."""
    from groundswell.web.ui import (
        account,
        admin,
        alerts,
        dashboard,
        events,
        feed,
        schemes,
        search,
        session,
        sources,
    )

    if not hasattr(app.state, "desk"):
        app.state.desk = desk
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.exception_handler(LoginRequired)
    async def _login_required(_request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(f"/login?next={exc.next_url}", status_code=303)

    @app.exception_handler(PageForbidden)
    async def _forbidden(request: Request, exc: PageForbidden) -> HTMLResponse:
        viewer = getattr(request.state, "viewer", None)
        return render(request, viewer, "forbidden.html", status_code=403, permission=exc.permission)

    screens = (session, dashboard, feed, search, events, schemes, sources, admin, alerts, account)
    for module in screens:
        app.include_router(module.router(desk))
