"""Users, departments, passwords, sessions, tokens, audit and the sign-in limit as stored,
on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select, update

from groundswell.accounts.audit import list_audit, record
from groundswell.accounts.demo import ensure_demo_admin
from groundswell.accounts.errors import AccountError, PasswordPolicyError
from groundswell.accounts.passwords import verify_password
from groundswell.accounts.ratelimit import LoginLimits, record_attempt, retry_after
from groundswell.accounts.sessions import create_session, lookup_session
from groundswell.accounts.tokens import create_token, list_tokens, lookup_token, revoke_token
from groundswell.accounts.users import (
    add_department,
    create_user,
    find_user,
    list_departments,
    list_users,
    password_hash_of,
    set_password,
    update_user,
)
from groundswell.context import Desk
from groundswell.store.tables_accounts import sessions, users

PASSWORD = "correct horse battery"


def test_users_and_departments_round_trip(desk: Desk) -> None:
    with desk.engine.begin() as conn:
        water = add_department(conn, "Water Bureau")
        add_department(conn, "Health")
        with pytest.raises(AccountError, match="already exists"):
            add_department(conn, "Water Bureau")
        alice = create_user(
            conn,
            "alice",
            PASSWORD,
            "monitor",
            display_name="Alice Wang",
            department_id=water.id,
            locale="zh-CN",
            contacts={"wecom": "alice.w"},
        )
        assert (alice.department, alice.locale, alice.contacts) == (
            "Water Bureau",
            "zh-CN",
            {"wecom": "alice.w"},
        )
        with pytest.raises(AccountError, match="already exists"):
            create_user(conn, "ALICE", PASSWORD + "x", "admin")
        with pytest.raises(AccountError, match="unknown role"):
            create_user(conn, "bob", PASSWORD, "overlord")
        with pytest.raises(AccountError, match="unknown locale"):
            create_user(conn, "bob", PASSWORD, "analyst", locale="fr")
        with pytest.raises(AccountError, match="no department"):
            create_user(conn, "bob", PASSWORD, "analyst", department_id=9999)
        changed = update_user(conn, alice.id, role="leader", department_id=None, email="a@x.cn")
        assert (changed.role, changed.department, changed.email) == ("leader", None, "a@x.cn")
        with pytest.raises(AccountError, match="unknown user fields"):
            update_user(conn, alice.id, password_hash="x")
    with desk.engine.connect() as conn:
        assert [d.name for d in list_departments(conn)] == ["Health", "Water Bureau"]
        assert [u.name for u in list_users(conn)] == ["alice"]
        assert "password_hash" not in find_user(conn, "alice").to_json()


@pytest.mark.parametrize(
    ("name", "password", "message"),
    [("carol", "short", "at least 10"), ("carol-admin", "Carol-Admin", "account name")],
)
def test_password_policy(desk: Desk, name: str, password: str, message: str) -> None:
    with desk.engine.begin() as conn, pytest.raises(PasswordPolicyError, match=message):
        create_user(conn, name, password, "analyst")


def test_password_hash_is_argon2_and_outdated_hashes_are_rehashed(desk: Desk) -> None:
    with desk.engine.begin() as conn:
        user = create_user(conn, "dan", PASSWORD, "analyst")
        _, stored, _ = password_hash_of(conn, "dan")  # type: ignore[misc]
        assert stored.startswith("$argon2id$") and PASSWORD not in stored
        assert verify_password(stored, PASSWORD) == (True, None)
        assert verify_password(stored, PASSWORD + "!") == (False, None)
        weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
        conn.execute(update(users).where(users.c.id == user.id).values(password_hash=weak))
        ok, new_hash = verify_password(weak, PASSWORD)
        assert ok and new_hash and new_hash != weak and verify_password(new_hash, PASSWORD)[0]
    assert verify_password(None, PASSWORD) == (False, None)


def test_sessions_expire_idle_and_absolute_and_password_change_ends_others(desk: Desk) -> None:
    t0 = datetime(2026, 8, 1, 9, tzinfo=UTC)
    idle = timedelta(hours=12)
    with desk.engine.begin() as conn:
        user = create_user(conn, "erin", PASSWORD, "analyst")
        one = create_session(conn, user.id, max_age=timedelta(days=7), now=t0)
        two = create_session(conn, user.id, max_age=timedelta(days=7), now=t0)
        stored = conn.execute(select(sessions.c.token_hash)).scalars().all()
        assert one.token not in stored and len(set(stored)) == 2  # only hashes are kept
        found = lookup_session(conn, one.token, idle=idle, now=t0 + timedelta(hours=11))
        assert found and found.csrf_token == one.csrf_token and found.user_id == user.id
        # used at 11 h: alive at 22 h, then idle past 12 h ends it
        assert lookup_session(conn, one.token, idle=idle, now=t0 + timedelta(hours=22))
        assert lookup_session(conn, one.token, idle=idle, now=t0 + timedelta(hours=35)) is None
        assert lookup_session(conn, one.token, idle=idle, now=t0 + timedelta(hours=1)) is None
        # absolute: used every 10 h, still over after 7 days
        at = t0
        while at < t0 + timedelta(days=7) - timedelta(hours=10):
            at += timedelta(hours=10)
            assert lookup_session(conn, two.token, idle=idle, now=at)
        assert lookup_session(conn, two.token, idle=idle, now=t0 + timedelta(days=7)) is None

        three = create_session(conn, user.id, max_age=timedelta(days=7))
        four = create_session(conn, user.id, max_age=timedelta(days=7))
        set_password(conn, user.id, PASSWORD + " two", keep_session_id=three.id)
        assert lookup_session(conn, three.token, idle=idle)
        assert lookup_session(conn, four.token, idle=idle) is None
        update_user(conn, user.id, active=False)
        assert lookup_session(conn, three.token, idle=idle) is None


def test_api_tokens_are_hashed_revocable_and_own(desk: Desk) -> None:
    with desk.engine.begin() as conn:
        frank = create_user(conn, "frank", PASSWORD, "analyst")
        grace = create_user(conn, "grace", PASSWORD, "analyst")
        secret, token = create_token(conn, frank.id, "nightly export")
        assert secret.startswith("gs_") and len(secret) > 40
        assert lookup_token(conn, secret) == frank.id
        assert lookup_token(conn, secret + "x") is None
        assert lookup_token(conn, "not-ours") is None
        assert list_tokens(conn, frank.id)[0].last_used_at is not None
        with pytest.raises(AccountError, match="no token"):
            revoke_token(conn, grace.id, token.id)
        assert revoke_token(conn, frank.id, token.id).revoked_at is not None
        assert lookup_token(conn, secret) is None
        other, _ = create_token(conn, frank.id, "second")
        update_user(conn, frank.id, active=False)
        assert lookup_token(conn, other) is None


def test_audit_log_filters_and_keeps_actor(desk: Desk) -> None:
    t0 = datetime(2026, 8, 1, tzinfo=UTC)
    with desk.engine.begin() as conn:
        user = create_user(conn, "hana", PASSWORD, "admin")
        for i, action in enumerate(["scheme.create", "scheme.delete", "user.create"]):
            record(
                conn,
                user_id=user.id,
                actor="hana",
                action=action,
                target=f"scheme:{i}",
                detail={"i": i},
                ip="10.0.0.1",
                at=t0 + timedelta(minutes=i),
            )
        record(conn, user_id=None, actor="system", action="scheme.create", target="scheme:9")
        conn.execute(users.delete().where(users.c.id == user.id))
    with desk.engine.connect() as conn:
        page, total = list_audit(conn, limit=2)
        assert total == 4 and len(page) == 2
        exact, _ = list_audit(conn, action="scheme.create")
        assert {e.target for e in exact} == {"scheme:0", "scheme:9"}
        prefix, n = list_audit(conn, action="scheme.")
        assert {e.action for e in prefix} == {"scheme.create", "scheme.delete"}
        assert n == 3
        mine, n = list_audit(conn, user="hana")
        assert n == 3 and all(e.user_id is None and e.actor == "hana" for e in mine)
        assert [e.action for e in mine] == ["user.create", "scheme.delete", "scheme.create"]
        assert mine[0].detail == {"i": 2} and mine[0].ip == "10.0.0.1"


def test_login_rate_limit_per_name_and_per_ip(desk: Desk) -> None:
    limits = LoginLimits(per_name=5, per_ip=20, window=timedelta(minutes=15))
    t0 = datetime(2026, 8, 1, tzinfo=UTC)
    with desk.engine.begin() as conn:
        for i in range(4):
            record_attempt(conn, "ivy", "10.0.0.1", False, now=t0 + timedelta(minutes=i))
        assert retry_after(conn, "ivy", "10.0.0.1", limits, now=t0 + timedelta(minutes=5)) is None
        record_attempt(conn, "ivy", "10.0.0.2", False, now=t0 + timedelta(minutes=5))
        # The oldest of the five leaves the window at t0 + 15 min.
        wait = retry_after(conn, "ivy", "10.0.0.9", limits, now=t0 + timedelta(minutes=6))
        assert wait == 9 * 60
        assert retry_after(conn, "ivy", "10.0.0.9", limits, now=t0 + timedelta(minutes=15)) is None
        assert retry_after(conn, "jack", "10.0.0.9", limits, now=t0 + timedelta(minutes=6)) is None
        # A success clears the name's count, not the address's.
        record_attempt(conn, "ivy", "10.0.0.1", True, now=t0 + timedelta(minutes=7))
        assert retry_after(conn, "ivy", "10.0.0.9", limits, now=t0 + timedelta(minutes=8)) is None
        for i in range(20):
            record_attempt(conn, f"user{i}", "10.6.6.6", False, now=t0 + timedelta(seconds=i))
        assert retry_after(conn, "kim", "10.6.6.6", limits, now=t0 + timedelta(minutes=1))
        assert retry_after(conn, "kim", "10.6.6.7", limits, now=t0 + timedelta(minutes=1)) is None


def test_ensure_demo_admin_resets_the_password(desk: Desk) -> None:
    name, first = ensure_demo_admin(desk)
    again, second = ensure_demo_admin(desk)
    assert name == again and first != second and len(second) >= 10
    with desk.engine.connect() as conn:
        assert find_user(conn, name).role == "admin"
        _, stored, active = password_hash_of(conn, name)  # type: ignore[misc]
    assert active and verify_password(stored, second)[0] and not verify_password(stored, first)[0]
