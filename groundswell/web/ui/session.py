"""Sign in, sign out, and the language switch."""

from __future__ import annotations

import asyncio
import hmac

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from groundswell.accounts.errors import AccountError
from groundswell.accounts.users import update_user
from groundswell.context import Desk
from groundswell.web.auth import (
    AuthError,
    RateLimited,
    Viewer,
    audit,
    authenticate,
    client_ip,
    close_session,
    open_session,
    optional_viewer,
    verify_csrf,
)
from groundswell.web.i18n import LOCALE_COOKIE, normalise_locale
from groundswell.web.ui.render import anonymous_csrf_ok, page_viewer, render, safe_next

# The users table spells locales as BCP 47 tags.
_USER_LOCALE = {"zh_CN": "zh-CN", "en": "en"}


def router(desk: Desk) -> APIRouter:
    routes = APIRouter(include_in_schema=False)

    @routes.get("/login", response_class=HTMLResponse)
    def login_page(
        request: Request, next: str = "/", viewer: Viewer | None = Depends(optional_viewer)
    ) -> Response:
        if viewer is not None:
            return RedirectResponse(safe_next(next), status_code=303)
        return render(request, None, "login.html", next=safe_next(next), error=None, name="")

    @routes.post("/login", response_class=HTMLResponse)
    async def login(
        request: Request,
        name: str = Form(""),
        password: str = Form(""),
        next: str = Form("/"),
        csrf_token: str = Form(""),
    ) -> Response:
        target = safe_next(next)
        if not anonymous_csrf_ok(request, csrf_token):
            error, retry, status = "expired", None, 403
        else:
            try:
                viewer = await asyncio.to_thread(
                    authenticate, desk, name, password, client_ip(request)
                )
            except RateLimited as exc:
                error, retry, status = "rate_limited", exc.retry_after, 429
            except AuthError:
                error, retry, status = "wrong", None, 401
            else:
                response = RedirectResponse(target, status_code=303)
                open_session(desk, viewer, request, response)
                return response
        return render(
            request,
            None,
            "login.html",
            status_code=status,
            next=target,
            error=error,
            retry_after=retry,
            name=name[:100],
        )

    @routes.post("/logout", dependencies=[Depends(verify_csrf)])
    def logout(request: Request, _viewer: Viewer = Depends(page_viewer())) -> Response:
        response = RedirectResponse("/login", status_code=303)
        close_session(desk, request, response)
        return response

    @routes.post("/locale")
    def set_locale(
        request: Request,
        lang: str = Form(...),
        next: str = Form("/"),
        csrf_token: str = Form(""),
        viewer: Viewer | None = Depends(optional_viewer),
    ) -> Response:
        """Signed in: stored on the user (CSRF-checked). Anonymous: a cookie."""
        locale = normalise_locale(lang) or "zh_CN"
        response = RedirectResponse(safe_next(next), status_code=303)
        if viewer is not None and viewer.csrf_token:
            if not hmac.compare_digest(csrf_token.encode(), viewer.csrf_token.encode()):
                return Response("missing or wrong CSRF token", status_code=403)
            try:
                with desk.engine.begin() as conn:
                    update_user(conn, viewer.user_id, locale=_USER_LOCALE[locale])
                    audit(conn, viewer, "user.locale", f"user:{viewer.user_id}", {"locale": locale})
            except AccountError as exc:
                return Response(str(exc), status_code=400)
        elif not anonymous_csrf_ok(request, csrf_token):
            return Response("missing or wrong CSRF token", status_code=403)
        response.set_cookie(LOCALE_COOKIE, locale, max_age=365 * 86400, samesite="lax", path="/")
        return response

    return routes
