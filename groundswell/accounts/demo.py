"""The demo's admin account, so `groundswell demo` can be signed into at once."""

from __future__ import annotations

from typing import TYPE_CHECKING

from groundswell.accounts.errors import AccountError
from groundswell.accounts.passwords import generate_password
from groundswell.accounts.users import create_user, find_user, set_password, update_user

if TYPE_CHECKING:
    from groundswell.context import Desk

DEMO_ADMIN = "demo-admin"


def ensure_demo_admin(desk: Desk) -> tuple[str, str]:
    """(name, password) of an active admin, given a fresh random password on every run
    (so a password printed by an earlier run stops working)."""
    password = generate_password()
    with desk.engine.begin() as conn:
        try:
            user = find_user(conn, DEMO_ADMIN)
        except AccountError:
            create_user(conn, DEMO_ADMIN, password, "admin", display_name="Demo admin")
        else:
            update_user(conn, user.id, role="admin", active=True)
            set_password(conn, user.id, password)
    return DEMO_ADMIN, password
