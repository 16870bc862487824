"""What every screen shares: templates, the viewer of a page, CSRF, languages, highlighting.

Post content is hostile. Templates autoescape everything and never mark post
data safe; the only markup built in Python is `highlight`, which escapes each
piece of text before wrapping matched spans in <mark>.
"""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from markupsafe import Markup, escape

from groundswell.accounts.roles import can
from groundswell.web.auth import Viewer, optional_viewer
from groundswell.web.i18n import LOCALE_COOKIE, LOCALES, negotiate, normalise_locale, translations

TEMPLATES = Path(__file__).parents[1] / "templates"
ANON_CSRF_COOKIE = "gs_csrf"


class LoginRequired(Exception):
    """Raised by a page dependency without a viewer: answered with a redirect to /login."""

    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


class PageForbidden(Exception):
    """The viewer's role lacks the permission: answered with a 403 page."""

    def __init__(self, permission: str) -> None:
        self.permission = permission


def N_(message: str) -> str:
    """Marks a msgid for extraction whose use is dynamic (`_(post.sentiment)`)."""
    return message


DYNAMIC_MESSAGES = (
    N_("negative"),
    N_("neutral"),
    N_("positive"),
    N_("unknown"),
    N_("ok"),
    N_("failing"),
    N_("new"),
    N_("disabled"),
)


@pass_context
def _translate(context: Any, value: str) -> str:
    return context["_"](value)  # type: ignore[no-any-return]


def _datetime(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return value.strftime(fmt) + " UTC" if value else "—"


def highlight(text: str, terms: Iterable[str]) -> Markup:
    """`text` escaped, with every case-insensitive occurrence of a term wrapped in <mark>."""
    words = sorted({t for t in terms if t and t.strip()}, key=len, reverse=True)
    if not words:
        return escape(text)
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
    out: list[Markup] = []
    last = 0
    for found in pattern.finditer(text):
        out.append(escape(text[last : found.start()]))
        out.append(Markup("<mark>%s</mark>") % found.group(0))
        last = found.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["dt"] = _datetime
    env.filters["t"] = _translate
    env.globals["highlight"] = highlight
    env.globals["locales"] = LOCALES
    return env


ENV = _environment()


def page_locale(request: Request, viewer: Viewer | None) -> str:
    """The user's choice, else the anonymous cookie, else the browser's languages."""
    return (
        normalise_locale(viewer.locale if viewer else None)
        or normalise_locale(request.cookies.get(LOCALE_COOKIE))
        or negotiate(request.headers.get("accept-language"))
    )


def gettext_for(request: Request, viewer: Viewer | None) -> Callable[[str], str]:
    return translations(page_locale(request, viewer)).gettext


def anonymous_csrf(request: Request) -> str:
    """A double-submit token for forms shown before sign-in (login, language)."""
    token = request.cookies.get(ANON_CSRF_COOKIE)
    if not token or len(token) != 43:
        token = secrets.token_urlsafe(32)
    request.state.anon_csrf = token
    return token


def anonymous_csrf_ok(request: Request, sent: object) -> bool:
    cookie = request.cookies.get(ANON_CSRF_COOKIE)
    return (
        isinstance(sent, str)
        and bool(cookie)
        and hmac.compare_digest(sent.encode(), (cookie or "").encode())
    )


def fragment(request: Request, viewer: Viewer | None, template: str, **context: Any) -> str:
    """A template rendered to text in the viewer's language (pages, htmx parts, SSE rows)."""
    locale = page_locale(request, viewer)
    csrf = viewer.csrf_token if viewer and viewer.csrf_token else anonymous_csrf(request)
    return ENV.get_template(template).render(
        request=request,
        viewer=viewer,
        locale=locale,
        html_lang="zh-CN" if locale == "zh_CN" else locale,
        csrf_token=csrf,
        _=translations(locale).gettext,
        can=lambda permission: can(viewer, permission),
        path=request.url.path,
        **context,
    )


def render(
    request: Request,
    viewer: Viewer | None,
    template: str,
    *,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """A page; `status_code` is the HTTP status (every other keyword is template context)."""
    html = fragment(request, viewer, template, **context)
    response = HTMLResponse(html, status_code=status_code)
    if viewer is None or not viewer.csrf_token:
        token = request.state.anon_csrf
        response.set_cookie(
            ANON_CSRF_COOKIE, token, httponly=True, samesite="strict", path="/", max_age=86400
        )
    return response


def int_param(value: str | None, default: int | None = None) -> int | None:
    """A number from a query string, or `default` for '' and junk (forms send 'All' as '')."""
    try:
        return int(value) if value not in (None, "") else default
    except ValueError:
        return default


def float_param(value: str | None, default: float) -> float:
    try:
        number = float(value) if value not in (None, "") else default
    except ValueError:
        return default
    return number if number == number and abs(number) != float("inf") else default


def safe_next(value: str | None) -> str:
    """Only a local path may follow sign-in (no open redirect to //evil or http://...)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


def page_viewer(permission: str | None = None) -> Callable[..., Viewer]:
    """Page dependency: the signed-in viewer holding `permission` (deny by default)."""

    def dependency(request: Request, viewer: Viewer | None = Depends(optional_viewer)) -> Viewer:
        if viewer is None:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise LoginRequired(quote(target, safe="/"))
        if permission is not None and not can(viewer, permission):
            raise PageForbidden(permission)
        return viewer

    return dependency
