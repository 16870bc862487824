"""Accounts for tests: real users in the test's database, signed in through the real API."""

from __future__ import annotations

import httpx

from groundswell.accounts.errors import AccountError
from groundswell.accounts.tokens import create_token
from groundswell.accounts.users import add_department, create_user, find_department
from groundswell.context import Desk

PASSWORD = "correct horse battery"


def add_user(
    desk: Desk, name: str, role: str, department: str | None = None, password: str = PASSWORD
) -> int:
    """Create a user (and their department if new); returns the user's id."""
    with desk.engine.begin() as conn:
        dept_id = None
        if department is not None:
            try:
                dept_id = find_department(conn, department).id
            except AccountError:
                dept_id = add_department(conn, department).id
        return create_user(conn, name, password, role, department_id=dept_id).id


def api_token(desk: Desk, user_id: int, name: str = "test") -> str:
    with desk.engine.begin() as conn:
        return create_token(conn, user_id, name)[0]


async def sign_in(client: httpx.AsyncClient, name: str, password: str = PASSWORD) -> str:
    """Sign in with the session cookie; the client sends the CSRF token from then on."""
    response = await client.post("/api/auth/login", json={"name": name, "password": password})
    assert response.status_code == 200, response.text
    csrf = response.json()["csrf_token"]
    client.headers["X-CSRF-Token"] = csrf
    return csrf
