"""Who is asking: sign-in, sessions (cookie) and API tokens (bearer), permissions, CSRF, audit.

The contract the API and the HTML screens code against. Every route but an
explicit public few depends on `require(permission)` (or `require_viewer`);
`require` also checks the CSRF token on unsafe methods of cookie-authenticated
requests, so a route cannot forget it.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import Depends, HTTPException, Request, Response
from sqlalchemy import Connection, update

from groundswell.accounts import audit as audit_store
from groundswell.accounts.errors import AuthError, RateLimited
from groundswell.accounts.passwords import verify_password
from groundswell.accounts.ratelimit import (
    LoginLimits,
    purge_attempts,
    record_attempt,
    retry_after,
)
from groundswell.accounts.roles import can
from groundswell.accounts.sessions import (
    create_session,
    delete_session,
    lookup_session,
    purge_expired,
)
from groundswell.accounts.tokens import lookup_token
from groundswell.accounts.users import (
    AccountError,
    get_user,
    password_hash_of,
    replace_hash,
    set_password,
)
from groundswell.context import Desk
from groundswell.settings import Settings
from groundswell.store.tables_accounts import users

__all__ = [
    "COOKIE",
    "CSRF_FIELD",
    "CSRF_HEADER",
    "AuthError",
    "RateLimited",
    "Viewer",
    "audit",
    "authenticate",
    "client_ip",
    "close_session",
    "login_limits",
    "open_session",
    "optional_viewer",
    "require",
    "require_viewer",
    "verify_csrf",
]

COOKIE = "gs_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_UNSET = object()


@dataclass(frozen=True)
class Viewer:
    """The signed-in user of one request."""

    user_id: int
    name: str
    display_name: str
    role: str
    department_id: int | None
    department: str | None
    locale: str | None
    csrf_token: str | None  # None for bearer-token clients
    session_id: int | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.user_id,
            "name": self.name,
            "display_name": self.display_name,
            "role": self.role,
            "department_id": self.department_id,
            "department": self.department,
            "locale": self.locale,
        }


def _viewer(
    conn: Connection, user_id: int, *, csrf_token: str | None = None, session_id: int | None = None
) -> Viewer | None:
    try:
        user = get_user(conn, user_id)
    except AccountError:
        return None
    if not user.active:
        return None
    return Viewer(
        user_id=user.id,
        name=user.name,
        display_name=user.display_name,
        role=user.role,
        department_id=user.department_id,
        department=user.department,
        locale=user.locale,
        csrf_token=csrf_token,
        session_id=session_id,
    )


def login_limits(settings: Settings) -> LoginLimits:
    return LoginLimits(
        per_name=settings.login_max_failures_per_name,
        per_ip=settings.login_max_failures_per_ip,
        window=timedelta(minutes=settings.login_window_minutes),
    )


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def authenticate(desk: Desk, name: str, password: str, ip: str) -> Viewer:
    """Check a name and password; raises AuthError (one message for every reason) or
    RateLimited. Records the attempt and audits it; rehashes an outdated hash."""
    name = name.strip()[:100]
    limits = login_limits(desk.settings)
    with desk.engine.begin() as conn:
        wait = retry_after(conn, name, ip, limits)
    if wait is not None:
        raise RateLimited(wait)
    with desk.engine.connect() as conn:
        found = password_hash_of(conn, name)
    # Unknown names are checked against a dummy hash: the same time, the same answer.
    ok, new_hash = verify_password(found[1] if found else None, password)
    ok = ok and found is not None and found[2]
    viewer: Viewer | None = None
    with desk.engine.begin() as conn:
        record_attempt(conn, name, ip, ok)
        user_id = found[0] if found else None
        if ok and user_id is not None:
            if new_hash:
                replace_hash(conn, user_id, new_hash)
            conn.execute(
                update(users).where(users.c.id == user_id).values(last_login_at=datetime.now(UTC))
            )
            viewer = _viewer(conn, user_id)
            # Housekeeping rides on sign-ins: rows past every limit no longer count.
            purge_attempts(conn, limits.window)
            purge_expired(conn, idle=timedelta(hours=desk.settings.session_idle_hours))
        audit_store.record(
            conn,
            user_id=user_id,
            actor=name or "?",
            action="auth.login" if viewer else "auth.login_failed",
            target=f"user:{user_id}" if user_id else f"name:{name}",
            ip=ip,
        )
    if viewer is None:
        raise AuthError()
    return viewer


def _cookie_secure(desk: Desk, request: Request) -> bool:
    mode = desk.settings.cookie_secure
    return mode == "always" or (mode == "auto" and request.url.scheme == "https")


def open_session(desk: Desk, viewer: Viewer, request: Request, response: Response) -> Viewer:
    """Start a session for `viewer` (ending any session the browser had: no fixation) and
    set its cookie; returns the viewer with its CSRF token."""
    max_age = timedelta(days=desk.settings.session_max_days)
    old = request.cookies.get(COOKIE)
    with desk.engine.begin() as conn:
        if old:
            delete_session(conn, old)
        new = create_session(
            conn,
            viewer.user_id,
            max_age=max_age,
            ip=client_ip(request),
            user_agent=request.headers.get("user-agent"),
        )
    response.set_cookie(
        COOKIE,
        new.token,
        max_age=int(max_age.total_seconds()),
        path="/",
        secure=_cookie_secure(desk, request),
        httponly=True,
        samesite="lax",
    )
    signed_in = replace(viewer, csrf_token=new.csrf_token, session_id=new.id)
    request.state.viewer = signed_in
    return signed_in


def close_session(desk: Desk, request: Request, response: Response) -> None:
    """Sign out: the session row goes, the cookie is cleared; audited as 'auth.logout'."""
    token = request.cookies.get(COOKIE)
    if token:
        with desk.engine.begin() as conn:
            user_id = delete_session(conn, token)
            if user_id is not None:
                viewer = _viewer(conn, user_id)
                audit(conn, viewer, "auth.logout", f"user:{user_id}", ip=client_ip(request))
    response.delete_cookie(
        COOKIE, path="/", secure=_cookie_secure(desk, request), httponly=True, samesite="lax"
    )
    request.state.viewer = None


def _desk(request: Request) -> Desk:
    return request.app.state.desk  # type: ignore[no-any-return]


def optional_viewer(request: Request) -> Viewer | None:
    """The viewer of a bearer token (`Authorization: Bearer gs_...`) or of the session cookie.

    A request that carries an Authorization header is judged by it alone: a
    cookie beside a wrong token does not count. Cached on the request."""
    cached = getattr(request.state, "viewer", _UNSET)
    if cached is not _UNSET:
        return cached  # type: ignore[no-any-return]
    desk = _desk(request)
    viewer: Viewer | None = None
    authorization = request.headers.get("authorization")
    with desk.engine.begin() as conn:
        if authorization is not None:
            scheme, _, secret = authorization.partition(" ")
            if scheme.lower() == "bearer" and secret.strip():
                user_id = lookup_token(conn, secret.strip())
                if user_id is not None:
                    viewer = _viewer(conn, user_id)
        elif token := request.cookies.get(COOKIE):
            idle = timedelta(hours=desk.settings.session_idle_hours)
            session = lookup_session(conn, token, idle=idle)
            if session is not None:
                viewer = _viewer(
                    conn, session.user_id, csrf_token=session.csrf_token, session_id=session.id
                )
    request.state.viewer = viewer
    return viewer


def _unauthorised() -> HTTPException:
    return HTTPException(401, "sign in required", headers={"WWW-Authenticate": "Bearer"})


def require_viewer(request: Request) -> Viewer:
    """Dependency: the viewer, or 401 (JSON) when there is none."""
    viewer = optional_viewer(request)
    if viewer is None:
        raise _unauthorised()
    return viewer


async def _check_csrf(request: Request, viewer: Viewer | None) -> None:
    if request.method in SAFE_METHODS or viewer is None or viewer.csrf_token is None:
        return
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            value = (await request.form()).get(CSRF_FIELD)
            sent = value if isinstance(value, str) else None
    if sent is None or not hmac.compare_digest(sent.encode(), viewer.csrf_token.encode()):
        raise HTTPException(403, "missing or wrong CSRF token")


async def verify_csrf(request: Request, viewer: Viewer | None = Depends(optional_viewer)) -> None:
    """Dependency: on unsafe methods of cookie-authenticated requests, the `X-CSRF-Token`
    header or the `csrf_token` form field must equal the session's token (else 403)."""
    await _check_csrf(request, viewer)


def require(permission: str) -> Callable[..., Awaitable[Viewer]]:
    """Dependency factory: 401 without a viewer, 403 without `permission` or with a wrong
    CSRF token on an unsafe method."""

    async def dependency(
        request: Request, viewer: Viewer | None = Depends(optional_viewer)
    ) -> Viewer:
        if viewer is None:
            raise _unauthorised()
        if not can(viewer, permission):
            raise HTTPException(403, f"your role may not do this ({permission})")
        await _check_csrf(request, viewer)
        return viewer

    dependency.permission = permission  # type: ignore[attr-defined]  # for route listings
    return dependency


def audit(
    conn: Connection,
    viewer: Viewer | None,
    action: str,
    target: str,
    detail: dict[str, Any] | None = None,
    ip: str | None = None,
) -> None:
    """Record `action` on `target` by `viewer` (None: the system) in the caller's transaction."""
    audit_store.record(
        conn,
        user_id=viewer.user_id if viewer else None,
        actor=viewer.name if viewer else "system",
        action=action,
        target=target,
        detail=detail,
        ip=ip,
    )


def change_own_password(desk: Desk, viewer: Viewer, current: str, new: str, ip: str) -> None:
    """The signed-in user changes their password; their other sessions end, this one stays.

    A wrong current password counts towards the sign-in limit (RateLimited once it is
    reached) and raises AuthError; a new password the policy refuses raises AccountError.
    """
    with desk.engine.connect() as conn:
        wait = retry_after(conn, viewer.name, ip, login_limits(desk.settings))
        found = password_hash_of(conn, viewer.name)
    if wait is not None:
        raise RateLimited(wait)
    if found is None or not verify_password(found[1], current)[0]:
        with desk.engine.begin() as conn:
            record_attempt(conn, viewer.name, ip, False)
        raise AuthError("the current password is wrong")
    with desk.engine.begin() as conn:
        set_password(conn, viewer.user_id, new, keep_session_id=viewer.session_id)
        audit(conn, viewer, "user.password", f"user:{viewer.user_id}", ip=ip)
