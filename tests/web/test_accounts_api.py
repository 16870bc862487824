"""The accounts API: sign-in, the signed-in user, users and departments (admin), API tokens
and the audit log; every change is audited."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from argon2 import PasswordHasher
from sqlalchemy import select, update

from groundswell.accounts.passwords import verify_password
from groundswell.accounts.ratelimit import record_attempt
from groundswell.accounts.sessions import create_session
from groundswell.context import Desk
from groundswell.store.tables_accounts import login_attempts, sessions, users
from groundswell.web.app import create_app
from tests.accounts.helpers import PASSWORD, add_user, sign_in

Client = Callable[[], AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def client(desk: Desk) -> Client:
    app = create_app(desk)

    @asynccontextmanager
    async def open_client() -> AsyncIterator[httpx.AsyncClient]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            yield c

    return open_client


async def test_login_me_profile_and_password(desk: Desk, client: Client) -> None:
    add_user(desk, "mei", "monitor", department="Water")
    async with client() as c, client() as elsewhere:
        login = await c.post("/api/auth/login", json={"name": "mei", "password": PASSWORD})
        assert login.status_code == 200
        me = login.json()
        assert (me["name"], me["role"], me["department"]) == ("mei", "monitor", "Water")
        assert "schemes.edit" in me["permissions"] and "users.admin" not in me["permissions"]
        assert len(me["csrf_token"]) > 30 and "password_hash" not in me
        c.headers["X-CSRF-Token"] = me["csrf_token"]
        assert (await c.get("/api/me")).json()["csrf_token"] == me["csrf_token"]
        await sign_in(elsewhere, "mei")

        patched = await c.patch("/api/me", json={"locale": "en", "display_name": "Mei Lin"})
        assert patched.status_code == 200
        assert (await c.get("/api/me")).json()["locale"] == "en"
        assert (await c.patch("/api/me", json={"locale": "fr"})).status_code == 422
        assert (await c.patch("/api/me", json={"locale": None})).json()["locale"] is None
        assert (await c.patch("/api/me", json={"role": "admin"})).json()["role"] == "monitor"

        wrong = await c.post("/api/me/password", json={"current": "nope", "new": "n" * 12})
        assert wrong.status_code == 400
        with desk.engine.connect() as conn:  # guessing counts towards the sign-in limit
            assert conn.execute(select(login_attempts.c.ok)).scalars().all()[-1] is False
        short = await c.post("/api/me/password", json={"current": PASSWORD, "new": "short"})
        assert short.status_code == 400 and "at least 10" in short.json()["detail"]
        same = await c.post("/api/me/password", json={"current": PASSWORD, "new": "mei"})
        assert same.status_code == 400
        good = await c.post("/api/me/password", json={"current": PASSWORD, "new": "new pass 1234"})
        assert good.status_code == 204
        assert (await c.get("/api/me")).status_code == 200  # this session stays
        assert (await elsewhere.get("/api/me")).status_code == 401  # the others end
    async with client() as c:
        old = await c.post("/api/auth/login", json={"name": "mei", "password": PASSWORD})
        assert old.status_code == 401
        await sign_in(c, "mei", "new pass 1234")
        for _ in range(5):
            guess = await c.post("/api/me/password", json={"current": "guess", "new": "n" * 12})
            assert guess.status_code == 400
        body = {"current": "new pass 1234", "new": "n" * 12}
        limited = await c.post("/api/me/password", json=body)
        assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0


async def test_admin_manages_users_and_departments(desk: Desk, client: Client) -> None:
    root_id = add_user(desk, "root", "admin")
    async with client() as admin:
        await sign_in(admin, "root")
        dept = await admin.post("/api/departments", json={"name": "Health"})
        assert dept.status_code == 201
        assert (await admin.post("/api/departments", json={"name": "Health"})).status_code == 409
        made = await admin.post(
            "/api/users",
            json={
                "name": "hu",
                "role": "monitor",
                "department": "Health",
                "contacts": {"wecom": "hu.w", "dingtalk": "138"},
                "email": "hu@example.cn",
            },
        )
        assert made.status_code == 201, made.text
        hu = made.json()
        assert hu["department"] == "Health" and hu["contacts"]["wecom"] == "hu.w"
        generated = hu["password"]  # shown once
        assert len(generated) >= 16
        assert (
            await admin.post("/api/users", json={"name": "hu", "role": "admin"})
        ).status_code == 409
        unknown = await admin.post(
            "/api/users", json={"name": "x", "role": "monitor", "department": "Mars"}
        )
        assert unknown.status_code == 404
        assert (
            await admin.post("/api/users", json={"name": "y", "role": "god"})
        ).status_code == 422
        listed = (await admin.get("/api/users")).json()
        assert [u["name"] for u in listed] == ["hu", "root"]
        assert all("password" not in u and "password_hash" not in u for u in listed)

        async with client() as c:
            await sign_in(c, "hu", generated)
            changed = await admin.patch(
                f"/api/users/{hu['id']}", json={"role": "analyst", "department": None}
            )
            assert changed.status_code == 200
            assert (changed.json()["role"], changed.json()["department"]) == ("analyst", None)
            me = (await c.get("/api/me")).json()  # the change applies at once
            assert me["role"] == "analyst" and "sources.edit" in me["permissions"]
            off = await admin.patch(f"/api/users/{hu['id']}", json={"active": False})
            assert off.json()["active"] is False
            assert (await c.get("/api/me")).status_code == 401
        reset = await admin.patch(
            f"/api/users/{hu['id']}", json={"active": True, "password": "reset pass 1234"}
        )
        assert reset.status_code == 200
        async with client() as c:
            await sign_in(c, "hu", "reset pass 1234")

        last = await admin.patch(f"/api/users/{root_id}", json={"role": "leader"})
        assert last.status_code == 400 and "last active admin" in last.json()["detail"]
        assert (await admin.get("/api/me")).json()["role"] == "admin"
        assert (await admin.patch("/api/users/9999", json={"active": False})).status_code == 404
        assert [d["name"] for d in (await admin.get("/api/departments")).json()] == ["Health"]
        dept_id = dept.json()["id"]
        head = await admin.patch(f"/api/departments/{dept_id}", json={"head_user_id": hu["id"]})
        assert head.status_code == 200 and head.json()["head_user_id"] == hu["id"]
        nobody = await admin.patch(f"/api/departments/{dept_id}", json={"head_user_id": 9999})
        assert nobody.status_code == 404

        page = (await admin.get("/api/audit", params={"user": "root"})).json()
        actions = [e["action"] for e in page["items"]]
        assert actions.count("user.update") == 3 and "user.create" in actions
        assert "department.create" in actions and "department.update" in actions
        reset_entry = next(e for e in page["items"] if e["detail"].get("password") == "reset")
        assert reset_entry["target"] == f"user:{hu['id']}"
        assert reset_entry["ip"] == "127.0.0.1"
        assert "reset pass" not in str(page)  # passwords never reach the log
        logins = (await admin.get("/api/audit", params={"action": "auth.login"})).json()
        assert logins["total"] == 3 and {e["actor"] for e in logins["items"]} == {"root", "hu"}
        two = (await admin.get("/api/audit", params={"limit": 2, "offset": 1})).json()
        assert len(two["items"]) == 2 and two["total"] == page["total"] + 2  # and hu's two sign-ins


async def test_own_api_tokens(desk: Desk, client: Client) -> None:
    add_user(desk, "tao", "analyst")
    add_user(desk, "uma", "analyst")
    async with client() as c:
        await sign_in(c, "tao")
        made = await c.post("/api/tokens", json={"name": "export script"})
        assert made.status_code == 201
        secret, token_id = made.json()["token"], made.json()["id"]
        assert secret.startswith("gs_")
        listed = (await c.get("/api/tokens")).json()
        assert [t["name"] for t in listed] == ["export script"]
        assert "token" not in listed[0] and secret not in str(listed)
    async with client() as script:
        script.headers["Authorization"] = f"Bearer {secret}"
        assert (await script.get("/api/me")).json()["name"] == "tao"
        assert (await script.get("/api/sources")).status_code == 200
    async with client() as other:
        await sign_in(other, "uma")
        assert (await other.delete(f"/api/tokens/{token_id}")).status_code == 404
        assert (await other.get("/api/tokens")).json() == []
    async with client() as c:
        await sign_in(c, "tao")
        assert (await c.delete(f"/api/tokens/{token_id}")).status_code == 204
        assert (await c.get("/api/tokens")).json()[0]["revoked_at"] is not None
    async with client() as script:
        script.headers["Authorization"] = f"Bearer {secret}"
        assert (await script.get("/api/me")).status_code == 401


async def test_sign_in_replaces_an_outdated_hash_and_purges_old_rows(
    desk: Desk, client: Client
) -> None:
    user_id = add_user(desk, "old", "analyst")
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    long_ago = datetime.now(UTC) - timedelta(days=30)
    with desk.engine.begin() as conn:
        conn.execute(update(users).where(users.c.id == user_id).values(password_hash=weak))
        record_attempt(conn, "someone", "10.0.0.1", False, now=long_ago)
        create_session(conn, user_id, max_age=timedelta(days=7), now=long_ago)
    async with client() as c:
        await sign_in(c, "old")
    with desk.engine.connect() as conn:
        stored = conn.execute(select(users.c.password_hash)).scalar_one()
        assert stored != weak and verify_password(stored, PASSWORD) == (True, None)
        assert conn.execute(select(login_attempts.c.name)).scalars().all() == ["old"]
        assert len(conn.execute(select(sessions.c.id)).all()) == 1
