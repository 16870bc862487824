"""Who may do what over HTTP: deny by default, roles, department scoping, CSRF, sessions,
cookies and the sign-in rate limit."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update
from starlette.routing import Mount

from groundswell.context import Desk
from groundswell.store.schemes import add_scheme
from groundswell.store.tables_accounts import audit_log, sessions
from groundswell.web.app import create_app
from tests.accounts.helpers import PASSWORD, add_user, api_token, sign_in
from tests.conftest import make_desk

# Routes anyone may call. Everything else must answer 401 (or, for HTML pages, send the
# browser to the sign-in page) without a viewer.
PUBLIC = {
    ("GET", "/healthz"),
    ("GET", "/metrics"),  # Prometheus; the desk listens on loopback by default
    ("POST", "/api/push/{source_name}"),  # each push source has its own bearer token
    ("POST", "/api/auth/login"),
    ("POST", "/api/auth/logout"),
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/docs/oauth2-redirect"),
    ("GET", "/redoc"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("POST", "/locale"),  # the sign-in page's language switch (a cookie when anonymous)
    ("GET", "/static"),
    # The signed acknowledgement link of an alert message (HMAC over alert, user, expiry).
    ("GET", "/alerts/{alert_id}/ack"),
    ("POST", "/alerts/{alert_id}/ack"),
}

Client = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


def every_route(app: FastAPI) -> Iterator[tuple[str, str]]:
    """(method, path) of every route, routers included (FastAPI nests included routers)."""
    for route in app.routes:
        if hasattr(route, "effective_route_contexts"):
            for context in route.effective_route_contexts():
                for method in sorted(context.methods or ()):
                    yield method, context.path
        elif isinstance(route, Mount):
            yield "GET", route.path
        else:
            for method in sorted(getattr(route, "methods", None) or {"GET"}):
                yield method, route.path  # type: ignore[attr-defined]


@pytest.fixture
def app(desk: Desk) -> FastAPI:
    return create_app(desk)


@pytest.fixture
def client(app: FastAPI) -> Client:
    @asynccontextmanager
    async def open_client(base_url: str = "http://test") -> AsyncIterator[httpx.AsyncClient]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as c:
            yield c

    return open_client


async def test_every_route_but_the_public_ones_refuses_anonymous(
    app: FastAPI, client: Client
) -> None:
    routes = sorted(set(every_route(app)) - {(m, p) for m, p in every_route(app) if m == "HEAD"})
    assert ("GET", "/api/schemes") in routes and ("POST", "/api/users") in routes
    assert len(routes) > 25
    async with client() as anonymous:
        for method, path in routes:
            if (method, path) in PUBLIC:
                continue
            url = re.sub(r"\{[^}]+\}", "1", path)
            response = await anonymous.request(method, url, json={})
            refused = response.status_code == 401 or (
                response.is_redirect and "login" in response.headers.get("location", "")
            )
            assert refused, f"{method} {path} answered {response.status_code} to anonymous"


ROLE_CASES = [
    # (role, method, path, body, allowed)
    ("leader", "GET", "/api/schemes", None, True),
    ("leader", "POST", "/api/schemes", {"name": "x", "subject_words": ["a"]}, False),
    ("leader", "GET", "/api/audit", None, True),
    ("leader", "GET", "/api/users", None, False),
    ("analyst", "GET", "/api/audit", None, False),
    ("analyst", "POST", "/api/schemes", {"name": "x", "subject_words": ["a"]}, True),
    ("analyst", "POST", "/api/users", {"name": "x", "role": "admin"}, False),
    ("monitor", "GET", "/api/sources", None, True),
    ("monitor", "POST", "/api/departments", {"name": "Rogue"}, False),
    ("duty_officer", "POST", "/api/posts/1/sentiment", {"label": "negative"}, True),
    ("duty_officer", "POST", "/api/schemes", {"name": "x", "subject_words": ["a"]}, False),
    ("leader", "POST", "/api/posts/1/sentiment", {"label": "negative"}, False),
    ("admin", "GET", "/api/audit", None, True),
]


@pytest.mark.parametrize(("role", "method", "path", "body", "allowed"), ROLE_CASES)
async def test_roles_over_http(
    desk: Desk,
    client: Client,
    role: str,
    method: str,
    path: str,
    body: dict | None,
    allowed: bool,
) -> None:
    add_user(desk, "someone", role, department="Water")
    async with client() as c:
        await sign_in(c, "someone")
        response = await c.request(method, path, json=body)
    if allowed:  # past authorisation: done, or refused for what was asked (no such post)
        assert response.status_code not in (401, 403), response.text
    else:
        assert response.status_code == 403, response.text


async def test_monitors_see_and_edit_only_their_departments_schemes(
    desk: Desk, client: Client
) -> None:
    add_user(desk, "wendy", "monitor", department="Water")
    add_user(desk, "otto", "duty_officer", department="Water")
    add_user(desk, "lee", "leader", department="Health")
    add_user(desk, "nadia", "monitor")  # no department: no schemes
    with desk.engine.begin() as conn:
        water = add_scheme(conn, "pipes", subject_words=["水管"], department="Water")
        health = add_scheme(conn, "clinics", subject_words=["医院"], department="Health")
        add_scheme(conn, "desk-wide", subject_words=["城市"])
    async with client() as c:
        await sign_in(c, "wendy")
        listed = (await c.get("/api/schemes")).json()
        assert [(s["name"], s["department"]) for s in listed] == [("pipes", "Water")]
        assert (await c.get(f"/api/schemes/{health.id}")).status_code == 404
        assert (await c.delete(f"/api/schemes/{health.id}")).status_code == 404
        move = await c.patch(f"/api/schemes/{water.id}", json={"department": "Health"})
        assert move.status_code == 403
        edit = await c.patch(f"/api/schemes/{water.id}", json={"event_words": ["爆裂"]})
        assert edit.status_code == 200 and edit.json()["event_words"] == ["爆裂"]
        mine = await c.post("/api/schemes", json={"name": "floods", "subject_words": ["洪水"]})
        assert mine.status_code == 201 and mine.json()["department"] == "Water"
        theirs = {"name": "x", "subject_words": ["a"], "department": "Health"}
        assert (await c.post("/api/schemes", json=theirs)).status_code == 403
        assert (await c.delete(f"/api/schemes/{water.id}")).status_code == 204
    async with client() as c:
        await sign_in(c, "otto")
        assert [s["name"] for s in (await c.get("/api/schemes")).json()] == ["floods"]
    async with client() as c:
        await sign_in(c, "nadia")
        assert (await c.get("/api/schemes")).json() == []
        assert (
            await c.post("/api/schemes", json={"name": "y", "subject_words": ["b"]})
        ).status_code == 403
    async with client() as c:
        await sign_in(c, "lee")
        names = {s["name"] for s in (await c.get("/api/schemes")).json()}
        assert names == {"clinics", "desk-wide", "floods"}
    with desk.engine.connect() as conn:
        actions = conn.execute(
            select(audit_log.c.actor, audit_log.c.action, audit_log.c.target).where(
                audit_log.c.action.like("scheme.%")
            )
        ).all()
    assert ("wendy", "scheme.delete", f"scheme:{water.id}") in actions
    assert ("wendy", "scheme.update", f"scheme:{water.id}") in actions
    assert sum(a == "scheme.create" for _, a, _ in actions) == 1


async def test_csrf_is_needed_for_cookie_sessions_not_for_tokens(
    desk: Desk, client: Client
) -> None:
    user_id = add_user(desk, "ana", "analyst")
    body = {"name": "metro", "subject_words": ["地铁"]}
    async with client() as c:
        csrf = await sign_in(c, "ana")
        del c.headers["X-CSRF-Token"]
        assert (await c.post("/api/schemes", json=body)).status_code == 403
        wrong = await c.post("/api/schemes", json=body, headers={"X-CSRF-Token": csrf + "x"})
        assert wrong.status_code == 403
        assert (await c.get("/api/schemes")).json() == []  # nothing was created
        good = await c.post("/api/schemes", json=body, headers={"X-CSRF-Token": csrf})
        assert good.status_code == 201
        # Form posts carry the token as a field.
        assert (await c.post("/api/auth/logout", data={"csrf_token": "nope"})).status_code == 403
        assert (await c.post("/api/auth/logout", data={"csrf_token": csrf})).status_code == 204
        assert (await c.get("/api/me")).status_code == 401
    token = api_token(desk, user_id)
    async with client() as c:
        c.headers["Authorization"] = f"Bearer {token}"
        made = await c.post("/api/schemes", json={"name": "bus", "subject_words": ["公交"]})
        assert made.status_code == 201
        me = (await c.get("/api/me")).json()
        assert me["name"] == "ana" and me["csrf_token"] is None
    async with client() as c:
        # A cookie beside a wrong bearer token does not count.
        await sign_in(c, "ana")
        c.headers["Authorization"] = "Bearer gs_wrong"
        assert (await c.get("/api/me")).status_code == 401


@pytest.mark.parametrize(
    ("base_url", "setting", "secure"),
    [
        ("http://test", "auto", False),
        ("https://test", "auto", True),
        ("http://test", "always", True),
        ("https://test", "never", False),
    ],
)
async def test_session_cookie_flags(db_url: str, base_url: str, setting: str, secure: bool) -> None:
    desk = make_desk(db_url, cookie_secure=setting)
    try:
        add_user(desk, "cora", "analyst")
        transport = httpx.ASGITransport(app=create_app(desk))
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as c:
            response = await c.post("/api/auth/login", json={"name": "cora", "password": PASSWORD})
        cookie = response.headers["set-cookie"]
        assert cookie.startswith("gs_session=") and "HttpOnly" in cookie
        assert "SameSite=lax" in cookie or "samesite=lax" in cookie.lower()
        assert ("Secure" in cookie) == secure
        assert "Max-Age=604800" in cookie
    finally:
        desk.close()


async def test_idle_session_ends_and_logout_ends_it_for_good(desk: Desk, client: Client) -> None:
    add_user(desk, "ida", "analyst")
    async with client() as c:
        await sign_in(c, "ida")
        cookie = c.cookies["gs_session"]
        assert (await c.get("/api/me")).status_code == 200
        with desk.engine.begin() as conn:
            conn.execute(
                update(sessions).values(last_seen_at=datetime.now(UTC) - timedelta(hours=13))
            )
        assert (await c.get("/api/me")).status_code == 401
        await sign_in(c, "ida")
        assert c.cookies["gs_session"] != cookie
        with desk.engine.connect() as conn:
            assert len(conn.execute(select(sessions.c.id)).all()) == 1  # the idle one went
        stolen = c.cookies["gs_session"]
        assert (await c.post("/api/auth/logout")).status_code == 204
    async with client() as other:
        other.cookies.set("gs_session", stolen)
        assert (await other.get("/api/me")).status_code == 401


async def test_sign_in_failures_are_generic_then_rate_limited(desk: Desk, client: Client) -> None:
    user_id = add_user(desk, "rob", "analyst")
    add_user(desk, "gone", "analyst")
    async with client() as c:
        admin_id = add_user(desk, "root", "admin")
        assert admin_id
        await sign_in(c, "root")
        assert (await c.patch(f"/api/users/{user_id + 1}", json={"active": False})).is_success
    async with client() as c:
        answers = [
            await c.post("/api/auth/login", json={"name": n, "password": p})
            for n, p in [("rob", "wrong password"), ("nobody", PASSWORD), ("gone", PASSWORD)]
        ]
        assert {a.status_code for a in answers} == {401}
        assert len({a.json()["detail"] for a in answers}) == 1
        for _ in range(4):
            bad = await c.post("/api/auth/login", json={"name": "rob", "password": "nope nope"})
            assert bad.status_code == 401
        limited = await c.post("/api/auth/login", json={"name": "rob", "password": PASSWORD})
        assert limited.status_code == 429
        assert 0 < int(limited.headers["Retry-After"]) <= 15 * 60
        # Other names from the same address are still allowed (20 per address).
        assert (
            await c.post("/api/auth/login", json={"name": "root", "password": PASSWORD})
        ).is_success
    with desk.engine.connect() as conn:
        failures = (
            conn.execute(select(audit_log.c.actor).where(audit_log.c.action == "auth.login_failed"))
            .scalars()
            .all()
        )
    assert sorted(failures) == sorted(["rob", "nobody", "gone"] + ["rob"] * 4)
