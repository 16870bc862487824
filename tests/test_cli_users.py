"""Account commands through typer's runner, on SQLite and PostgreSQL, checked against the
store and a real sign-in."""

from __future__ import annotations

import json

import httpx
from typer.testing import CliRunner

from groundswell.accounts.audit import list_audit
from groundswell.accounts.passwords import verify_password
from groundswell.accounts.tokens import lookup_token
from groundswell.accounts.users import find_user, password_hash_of
from groundswell.cli import app as app_
from groundswell.web.app import create_app
from tests.conftest import make_desk

runner = CliRunner()


def cli(db: str, *args: str, stdin: str | None = None) -> str:
    result = runner.invoke(app_, ["--db", db, *args], input=stdin, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def fails(db: str, *args: str, stdin: str | None = None) -> str:
    result = runner.invoke(app_, ["--db", db, *args], input=stdin)
    assert result.exit_code != 0
    return f"{result.output}{result.exception}"


def test_user_lifecycle(db_url: str) -> None:
    cli(db_url, "department", "add", "Water Bureau")
    out = cli(db_url, "user", "add", "wang", "--role", "monitor", "--department", "Water Bureau")
    password = next(
        line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("password: ")
    )
    assert len(password) >= 16
    cli(db_url, "user", "add", "li", "--role", "admin", "--password-stdin", stdin="li-secret-pw\n")
    assert "unknown role" in fails(db_url, "user", "add", "x", "--role", "king")
    assert "no department" in fails(
        db_url, "user", "add", "y", "--role", "monitor", "--department", "Mars"
    )
    assert "at least 10" in fails(
        db_url, "user", "add", "z", "--role", "analyst", "--password-stdin", stdin="short\n"
    )
    assert "already exists" in fails(db_url, "user", "add", "wang", "--role", "analyst")

    listed = [json.loads(line) for line in cli(db_url, "user", "list", "--json").splitlines()]
    assert [(u["name"], u["role"], u["department"], u["active"]) for u in listed] == [
        ("li", "admin", None, True),
        ("wang", "monitor", "Water Bureau", True),
    ]
    assert "wang" in cli(db_url, "user", "list")
    depts = [json.loads(x) for x in cli(db_url, "department", "list", "--json").splitlines()]
    assert [(d["name"], d["users"]) for d in depts] == [("Water Bureau", 1)]

    desk = make_desk(db_url)
    try:
        with desk.engine.connect() as conn:
            assert verify_password(password_hash_of(conn, "wang")[1], password)[0]  # type: ignore[index]
            assert verify_password(password_hash_of(conn, "li")[1], "li-secret-pw")[0]  # type: ignore[index]
        cli(db_url, "user", "passwd", "wang", "--password-stdin", stdin="brand new pw 1\n")
        generated = cli(db_url, "user", "passwd", "li", "--generate")
        new_li = generated.split("password: ", 1)[1].strip()
        prompted = cli(db_url, "user", "passwd", "li", stdin="typed twice pw\ntyped twice pw\n")
        assert "changed" in prompted
        with desk.engine.connect() as conn:
            assert verify_password(password_hash_of(conn, "wang")[1], "brand new pw 1")[0]  # type: ignore[index]
            li_hash = password_hash_of(conn, "li")[1]  # type: ignore[index]
            assert verify_password(li_hash, "typed twice pw")[0]
            assert not verify_password(li_hash, new_li)[0]
        cli(db_url, "user", "disable", "wang")
        with desk.engine.connect() as conn:
            assert find_user(conn, "wang").active is False
        cli(db_url, "user", "enable", "wang")
        token = cli(db_url, "token", "create", "wang", "export").strip().splitlines()[0]
        assert token.startswith("gs_")
        with desk.engine.connect() as conn:
            assert lookup_token(conn, token) == find_user(conn, "wang").id
            entries, _ = list_audit(conn, limit=100)
        assert {e.actor for e in entries} == {"cli"}
        assert [e.action for e in entries].count("user.update") == 5
        assert "token.create" in {e.action for e in entries}
        assert "no user named" in fails(db_url, "user", "disable", "nobody")
    finally:
        desk.close()


async def test_a_user_made_on_the_command_line_can_sign_in(sqlite_url: str) -> None:
    cli(
        sqlite_url,
        "user",
        "add",
        "ops",
        "--role",
        "analyst",
        "--password-stdin",
        stdin="ops pw 123456\n",
    )
    desk = make_desk(sqlite_url)
    try:
        transport = httpx.ASGITransport(app=create_app(desk))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            login = await c.post(
                "/api/auth/login", json={"name": "ops", "password": "ops pw 123456"}
            )
            assert login.status_code == 200 and login.json()["role"] == "analyst"
    finally:
        desk.close()
