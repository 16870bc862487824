"""Roles and what each may do: one table, deny by default, plus department scoping."""

from __future__ import annotations

from typing import Protocol

__all__ = [
    "PERMISSIONS",
    "ROLES",
    "ROLE_PERMISSIONS",
    "SCOPED_ROLES",
    "can",
    "in_scope",
    "in_scope_name",
]

PERMISSIONS: dict[str, str] = {
    "posts.view": "search and read posts",
    "posts.correct": "correct a post's sentiment",
    "schemes.view": "see monitoring schemes and backtest queries",
    "schemes.edit": "create, change and remove monitoring schemes",
    "events.view": "see events and spikes",
    "sources.view": "see sources and their health",
    "sources.edit": "add, change and remove sources",
    "alerts.view": "see alerts",
    "alerts.ack": "acknowledge alerts",
    "alerts.rules.edit": "create and change alert rules",
    "duty.view": "see the duty roster",
    "duty.edit": "change the duty roster and special periods",
    "users.admin": "manage users and departments",
    "audit.view": "read the audit log",
    "settings.admin": "change desk-wide settings",
}

_READ = frozenset(
    {"posts.view", "schemes.view", "events.view", "sources.view", "alerts.view", "duty.view"}
)

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset(PERMISSIONS),
    "analyst": _READ
    | {"posts.correct", "schemes.edit", "sources.edit", "alerts.ack", "alerts.rules.edit"},
    "leader": _READ | {"alerts.ack", "duty.edit", "audit.view"},
    "monitor": _READ | {"posts.correct", "schemes.edit", "alerts.ack"},
    "duty_officer": _READ | {"posts.correct", "alerts.ack"},
}
ROLES: tuple[str, ...] = tuple(ROLE_PERMISSIONS)

# These roles see and edit only their own department's schemes and items.
SCOPED_ROLES = frozenset({"monitor", "duty_officer"})


class HasRole(Protocol):
    @property
    def role(self) -> str: ...

    @property
    def department_id(self) -> int | None: ...

    @property
    def department(self) -> str | None: ...


def can(viewer: HasRole | None, permission: str) -> bool:
    """Whether `viewer` holds `permission`; anonymous, unknown roles and permissions: no."""
    if viewer is None:
        return False
    return permission in ROLE_PERMISSIONS.get(viewer.role, frozenset())


def in_scope(viewer: HasRole | None, department_id: int | None) -> bool:
    """Whether an item of department `department_id` is the viewer's to see and edit.

    Scoped roles see only their own department: an item of no department is
    desk-wide, which is not theirs, and a scoped user of no department sees none.
    """
    if viewer is None or viewer.role not in ROLE_PERMISSIONS:
        return False
    if viewer.role not in SCOPED_ROLES:
        return True
    return department_id is not None and department_id == viewer.department_id


def in_scope_name(viewer: HasRole | None, department: str | None) -> bool:
    """`in_scope` for items that name their department (schemes keep the name)."""
    if viewer is None or viewer.role not in ROLE_PERMISSIONS:
        return False
    if viewer.role not in SCOPED_ROLES:
        return True
    return department is not None and department == viewer.department
