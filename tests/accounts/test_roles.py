"""The permission table and department scoping: deny by default."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from groundswell.accounts.roles import (
    PERMISSIONS,
    ROLE_PERMISSIONS,
    ROLES,
    can,
    in_scope,
    in_scope_name,
)


@dataclass(frozen=True)
class Someone:
    role: str
    department_id: int | None = None
    department: str | None = None


def test_admin_holds_every_permission_and_no_role_holds_an_unknown_one() -> None:
    assert all(can(Someone("admin"), p) for p in PERMISSIONS)
    for role in ROLES:
        assert not can(Someone(role), "launch.missiles")
        assert ROLE_PERMISSIONS[role] <= set(PERMISSIONS)
    assert not can(None, "posts.view")
    assert not can(Someone("intern"), "posts.view")


@pytest.mark.parametrize(
    ("role", "allowed", "denied"),
    [
        (
            "analyst",
            {"schemes.edit", "posts.correct", "sources.edit"},
            {"users.admin", "audit.view"},
        ),
        ("leader", {"schemes.view", "audit.view", "duty.edit"}, {"schemes.edit", "users.admin"}),
        (
            "monitor",
            {"schemes.edit", "posts.correct", "alerts.ack"},
            {"sources.edit", "audit.view"},
        ),
        ("duty_officer", {"alerts.ack", "schemes.view"}, {"schemes.edit", "users.admin"}),
    ],
)
def test_roles(role: str, allowed: set[str], denied: set[str]) -> None:
    assert all(can(Someone(role), p) for p in allowed)
    assert not any(can(Someone(role), p) for p in denied)


def test_scoped_roles_see_only_their_department() -> None:
    water = Someone("monitor", 1, "Water")
    assert in_scope(water, 1) and in_scope_name(water, "Water")
    assert not in_scope(water, 2) and not in_scope_name(water, "Health")
    assert not in_scope(water, None) and not in_scope_name(water, None)
    nowhere = Someone("duty_officer")
    assert not in_scope(nowhere, None) and not in_scope_name(nowhere, None)
    for role in ("admin", "analyst", "leader"):
        assert in_scope(Someone(role), 2) and in_scope_name(Someone(role), None)
    assert not in_scope(None, 1) and not in_scope(Someone("intern"), 1)
