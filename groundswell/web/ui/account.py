"""The signed-in user's own page: who they are, and changing their password."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse

from groundswell.accounts.errors import AccountError, AuthError, RateLimited
from groundswell.context import Desk
from groundswell.web.auth import Viewer, change_own_password, client_ip, verify_csrf
from groundswell.web.ui.render import N_, page_viewer, render

MESSAGES = (
    N_("Your password was changed; your other sessions have ended."),
    N_("The current password is wrong."),
    N_("The two new passwords differ."),
    N_("Too many attempts; try again later."),
)


def router(desk: Desk) -> APIRouter:
    routes = APIRouter(include_in_schema=False)

    @routes.get("/account", response_class=HTMLResponse)
    def account_page(request: Request, viewer: Viewer = Depends(page_viewer())) -> HTMLResponse:
        return render(request, viewer, "account.html", message=None, error=None)

    @routes.post(
        "/account/password", response_class=HTMLResponse, dependencies=[Depends(verify_csrf)]
    )
    def change_password(
        request: Request,
        current: str = Form(""),
        new: str = Form(""),
        repeat: str = Form(""),
        viewer: Viewer = Depends(page_viewer()),
    ) -> HTMLResponse:
        error: str | None = None
        status = 400
        if new != repeat:
            error = MESSAGES[2]
        else:
            try:
                change_own_password(desk, viewer, current, new, client_ip(request))
            except RateLimited:
                error, status = MESSAGES[3], 429
            except AuthError:
                error = MESSAGES[1]
            except AccountError as exc:
                error = str(exc)  # the policy's own words (length, not the name)
        if error is None:
            return render(request, viewer, "account.html", message=MESSAGES[0], error=None)
        return render(
            request, viewer, "account.html", status_code=status, message=None, error=error
        )

    return routes
