"""Users and departments as stored: create, find, list, change, passwords."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, or_, select, update

from groundswell.accounts.errors import AccountError
from groundswell.accounts.passwords import check_policy, hash_password
from groundswell.accounts.roles import ROLES
from groundswell.store.tables_accounts import departments, sessions, users

__all__ = [
    "LOCALES",
    "Department",
    "User",
    "add_department",
    "create_user",
    "find_department",
    "find_user",
    "get_user",
    "list_departments",
    "list_users",
    "set_department_head",
    "set_password",
    "update_user",
]

LOCALES = ("zh-CN", "en")
_CHANGEABLE = {
    "display_name",
    "role",
    "department_id",
    "locale",
    "email",
    "phone",
    "contacts",
    "active",
}


@dataclass(frozen=True, slots=True)
class Department:
    id: int
    name: str
    head_user_id: int | None
    created_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "head_user_id": self.head_user_id,
            "created_at": self.created_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class User:
    """A user without the password hash (that stays in the repository)."""

    id: int
    name: str
    display_name: str
    role: str
    department_id: int | None
    department: str | None
    locale: str | None
    email: str | None
    phone: str | None
    contacts: dict[str, str] = field(default_factory=dict)
    active: bool = True
    created_at: datetime | None = None
    last_login_at: datetime | None = None
    password_changed_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "id": self.id,
            "name": self.name,
            "display_name": self.display_name,
            "role": self.role,
            "department_id": self.department_id,
            "department": self.department,
            "locale": self.locale,
            "email": self.email,
            "phone": self.phone,
            "contacts": dict(self.contacts),
            "active": self.active,
            "created_at": iso(self.created_at),
            "last_login_at": iso(self.last_login_at),
            "password_changed_at": iso(self.password_changed_at),
        }


def _user_query() -> Any:
    return select(
        *[c for c in users.c if c.name != "password_hash"],
        departments.c.name.label("department"),
    ).select_from(users.outerjoin(departments, users.c.department_id == departments.c.id))


def _user(row: Any) -> User:
    m = row._mapping
    return User(
        id=m["id"],
        name=m["name"],
        display_name=m["display_name"],
        role=m["role"],
        department_id=m["department_id"],
        department=m["department"],
        locale=m["locale"],
        email=m["email"],
        phone=m["phone"],
        contacts=dict(m["contacts"] or {}),
        active=bool(m["active"]),
        created_at=m["created_at"],
        last_login_at=m["last_login_at"],
        password_changed_at=m["password_changed_at"],
    )


def _check_fields(changes: dict[str, Any]) -> None:
    role = changes.get("role")
    if role is not None and role not in ROLES:
        raise AccountError(f"unknown role {role!r}: one of {', '.join(ROLES)}")
    locale = changes.get("locale")
    if locale is not None and locale not in LOCALES:
        raise AccountError(f"unknown locale {locale!r}: one of {', '.join(LOCALES)}")
    contacts = changes.get("contacts")
    if contacts is not None and not (
        isinstance(contacts, dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in contacts.items())
    ):
        raise AccountError("contacts map a channel name to an address (strings)")


def _clean_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 100 or any(c.isspace() for c in name):
        raise AccountError("a user name is 1-100 characters without spaces")
    return name


def create_user(
    conn: Connection,
    name: str,
    password: str,
    role: str,
    *,
    display_name: str | None = None,
    department_id: int | None = None,
    locale: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    contacts: dict[str, str] | None = None,
    now: datetime | None = None,
) -> User:
    """Create an active user; the password must pass the policy."""
    name = _clean_name(name)
    _check_fields({"role": role, "locale": locale, "contacts": contacts or {}})
    check_policy(name, password)
    # SQLite's lower() folds ASCII only: compare exactly too, or a non-ASCII twin slips by.
    same = or_(users.c.name == name, func.lower(users.c.name) == name.lower())
    if conn.execute(select(users.c.id).where(same)).first():
        raise AccountError(f"a user named {name!r} already exists")
    if department_id is not None:
        find_department(conn, department_id)
    now = now or datetime.now(UTC)
    user_id = conn.execute(
        insert(users)
        .values(
            name=name,
            display_name=(display_name or name).strip() or name,
            password_hash=hash_password(password),
            role=role,
            department_id=department_id,
            locale=locale,
            email=email,
            phone=phone,
            contacts=contacts or {},
            active=True,
            created_at=now,
            password_changed_at=now,
        )
        .returning(users.c.id)
    ).scalar_one()
    return get_user(conn, user_id)


def get_user(conn: Connection, user_id: int) -> User:
    row = conn.execute(_user_query().where(users.c.id == user_id)).first()
    if row is None:
        raise AccountError(f"no user with id {user_id}")
    return _user(row)


def find_user(conn: Connection, name_or_id: str | int) -> User:
    if isinstance(name_or_id, int):
        return get_user(conn, name_or_id)
    row = conn.execute(_user_query().where(users.c.name == name_or_id.strip())).first()
    if row is None:
        raise AccountError(f"no user named {name_or_id!r}")
    return _user(row)


def password_hash_of(conn: Connection, name: str) -> tuple[int, str, bool] | None:
    """(id, hash, active) for a login name, for sign-in only."""
    row = conn.execute(
        select(users.c.id, users.c.password_hash, users.c.active).where(users.c.name == name)
    ).first()
    return (row[0], row[1], bool(row[2])) if row else None


def list_users(conn: Connection) -> list[User]:
    return [_user(row) for row in conn.execute(_user_query().order_by(users.c.name))]


def update_user(conn: Connection, user_id: int, **changes: Any) -> User:
    """Change profile, role, department, contacts or active; deactivating ends sessions."""
    unknown = set(changes) - _CHANGEABLE
    if unknown:
        raise AccountError(f"unknown user fields: {', '.join(sorted(unknown))}")
    get_user(conn, user_id)
    _check_fields(changes)
    if changes.get("department_id") is not None:
        find_department(conn, changes["department_id"])
    if "display_name" in changes:
        changes["display_name"] = (changes["display_name"] or "").strip()
        if not changes["display_name"]:
            raise AccountError("a display name cannot be empty")
    if changes:
        conn.execute(update(users).where(users.c.id == user_id).values(**changes))
    if changes.get("active") is False:
        conn.execute(delete(sessions).where(sessions.c.user_id == user_id))
    return get_user(conn, user_id)


def set_password(
    conn: Connection,
    user_id: int,
    password: str,
    *,
    keep_session_id: int | None = None,
    now: datetime | None = None,
) -> None:
    """Set a new password (policy checked) and end the user's other sessions."""
    user = get_user(conn, user_id)
    check_policy(user.name, password)
    conn.execute(
        update(users)
        .where(users.c.id == user_id)
        .values(password_hash=hash_password(password), password_changed_at=now or datetime.now(UTC))
    )
    query = delete(sessions).where(sessions.c.user_id == user_id)
    if keep_session_id is not None:
        query = query.where(sessions.c.id != keep_session_id)
    conn.execute(query)


def replace_hash(conn: Connection, user_id: int, new_hash: str) -> None:
    """Store a rehash of the same password (argon2 parameters changed): no session ends."""
    conn.execute(update(users).where(users.c.id == user_id).values(password_hash=new_hash))


def add_department(
    conn: Connection, name: str, *, head_user_id: int | None = None, now: datetime | None = None
) -> Department:
    name = name.strip()
    if not name or len(name) > 200:
        raise AccountError("a department name is 1-200 characters")
    if conn.execute(select(departments.c.id).where(departments.c.name == name)).first():
        raise AccountError(f"a department named {name!r} already exists")
    if head_user_id is not None:
        get_user(conn, head_user_id)
    dept_id = conn.execute(
        insert(departments)
        .values(name=name, head_user_id=head_user_id, created_at=now or datetime.now(UTC))
        .returning(departments.c.id)
    ).scalar_one()
    return find_department(conn, dept_id)


def set_department_head(
    conn: Connection, department_id: int, head_user_id: int | None
) -> Department:
    """Set (or clear) a department's head. Departments are not renamed: schemes and alerts
    refer to them by name."""
    find_department(conn, department_id)
    if head_user_id is not None:
        get_user(conn, head_user_id)
    conn.execute(
        update(departments)
        .where(departments.c.id == department_id)
        .values(head_user_id=head_user_id)
    )
    return find_department(conn, department_id)


def find_department(conn: Connection, name_or_id: str | int) -> Department:
    column = departments.c.id if isinstance(name_or_id, int) else departments.c.name
    row = conn.execute(select(departments).where(column == name_or_id)).first()
    if row is None:
        raise AccountError(f"no department {name_or_id!r}")
    m = row._mapping
    return Department(m["id"], m["name"], m["head_user_id"], m["created_at"])


def list_departments(conn: Connection) -> list[Department]:
    rows = conn.execute(select(departments).order_by(departments.c.name))
    return [Department(r._mapping["id"], r.name, r.head_user_id, r.created_at) for r in rows]
