"""Duty shifts, the escalation chain they imply, and special periods."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, insert, or_, select

from groundswell.alerts.rules import Strictness
from groundswell.errors import ConfigError
from groundswell.store.tables_accounts import departments, users
from groundswell.store.tables_alerts import duty_shifts, special_periods

__all__ = [
    "Person",
    "add_shift",
    "add_special_period",
    "duty_chain",
    "list_shifts",
    "list_special_periods",
    "remove_shift",
    "remove_special_period",
    "strictness_at",
]


@dataclass(frozen=True, slots=True)
class Person:
    """Someone an alert can reach: in the app, and on the channels in their contacts."""

    user_id: int
    name: str
    display_name: str
    contacts: dict[str, str]
    why: str  # "on duty (first)", "on duty (next)", "department head", "office lead"


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ConfigError("give times with a timezone, e.g. 2026-12-01T08:00+08:00")
    return moment.astimezone(UTC)


def _user_id(conn: Connection, name: str) -> int:
    found = conn.execute(select(users.c.id).where(users.c.name == name)).scalar()
    if found is None:
        raise ConfigError(f"no user named {name!r}")
    return int(found)


def _department_id(conn: Connection, name: str | None, *, required: bool = True) -> int | None:
    if name is None:
        return None
    """The department's id; an unknown name is an error, or (required=False) none."""
    found = conn.execute(select(departments.c.id).where(departments.c.name == name)).scalar()
    if found is None and required:
        raise ConfigError(f"no department named {name!r}")
    return int(found) if found is not None else None


def add_shift(
    conn: Connection,
    user: str,
    starts_at: datetime,
    ends_at: datetime,
    *,
    department: str | None = None,
    position: int = 0,
) -> int:
    """A shift for `user` (position 0 is called first, then 1...); no department: office desk."""
    start, end = _aware(starts_at), _aware(ends_at)
    if end <= start:
        raise ConfigError("a shift must end after it starts")
    if position < 0:
        raise ConfigError("position must be 0 or more")
    return int(
        conn.execute(
            insert(duty_shifts).values(
                department_id=_department_id(conn, department),
                user_id=_user_id(conn, user),
                position=position,
                starts_at=start,
                ends_at=end,
                created_at=datetime.now(UTC),
            )
        ).inserted_primary_key[0]
    )


def remove_shift(conn: Connection, shift_id: int) -> None:
    if not conn.execute(delete(duty_shifts).where(duty_shifts.c.id == shift_id)).rowcount:
        raise ConfigError(f"no shift with id {shift_id}")


def list_shifts(
    conn: Connection, start: datetime | None = None, end: datetime | None = None
) -> list[dict[str, Any]]:
    query = (
        select(
            duty_shifts.c.id,
            duty_shifts.c.position,
            duty_shifts.c.starts_at,
            duty_shifts.c.ends_at,
            users.c.name.label("user"),
            users.c.display_name,
            departments.c.name.label("department"),
        )
        .join(users, users.c.id == duty_shifts.c.user_id)
        .outerjoin(departments, departments.c.id == duty_shifts.c.department_id)
        .order_by(duty_shifts.c.starts_at, duty_shifts.c.position)
    )
    if start is not None:
        query = query.where(duty_shifts.c.ends_at > start)
    if end is not None:
        query = query.where(duty_shifts.c.starts_at < end)
    return [dict(row._mapping) for row in conn.execute(query)]


def _person(row: Any, why: str) -> Person:
    contacts = {str(k): str(v) for k, v in (row.contacts or {}).items()}
    return Person(row.id, row.name, row.display_name, contacts, why)


def duty_chain(
    conn: Connection, department: str | None, now: datetime, office_lead: str = ""
) -> list[Person]:
    """Who to call, in order: on duty for the department, the office desk, the head, the lead."""
    chain: list[Person] = []
    seen: set[int] = set()

    def add(row: Any, why: str) -> None:
        if row is not None and row.id not in seen and row.active:
            seen.add(row.id)
            chain.append(_person(row, why))

    dept_id = _department_id(conn, department, required=False)
    on_now = and_(duty_shifts.c.starts_at <= now, duty_shifts.c.ends_at > now)
    scope = duty_shifts.c.department_id.is_(None)
    if dept_id is not None:
        scope = or_(duty_shifts.c.department_id == dept_id, scope)
    rows = conn.execute(
        select(users, duty_shifts.c.department_id.label("shift_department"))
        .join(duty_shifts, duty_shifts.c.user_id == users.c.id)
        .where(on_now, scope)
        # the department's own people first, then the office desk; by position within each
        .order_by(duty_shifts.c.department_id.is_(None), duty_shifts.c.position)
    ).all()
    for index, row in enumerate(rows):
        add(row, "on duty" if index == 0 else "on duty (next)")
    if dept_id is not None:
        head = conn.execute(
            select(users)
            .join(departments, departments.c.head_user_id == users.c.id)
            .where(departments.c.id == dept_id)
        ).first()
        add(head, "department head")
    if office_lead:
        add(conn.execute(select(users).where(users.c.name == office_lead)).first(), "office lead")
    return chain


def add_special_period(
    conn: Connection,
    name: str,
    starts_at: datetime,
    ends_at: datetime,
    *,
    departments_: Sequence[str] = (),
    threshold_factor: float = 0.5,
    alpha_factor: float = 10.0,
    created_by: str | None = None,
) -> int:
    """A time range of closer watch: floors × threshold_factor, spike alpha × alpha_factor."""
    start, end = _aware(starts_at), _aware(ends_at)
    if end <= start:
        raise ConfigError("a special period must end after it starts")
    if not 0 < threshold_factor <= 1:
        raise ConfigError("threshold_factor must be in (0, 1]: stricter means lower floors")
    if not 1 <= alpha_factor <= 100:
        raise ConfigError("alpha_factor must be in [1, 100]: stricter means a larger alpha")
    for dept in departments_:
        _department_id(conn, dept)
    return int(
        conn.execute(
            insert(special_periods).values(
                name=name.strip() or "special period",
                starts_at=start,
                ends_at=end,
                departments=list(departments_),
                threshold_factor=threshold_factor,
                alpha_factor=alpha_factor,
                created_by=created_by,
                created_at=datetime.now(UTC),
            )
        ).inserted_primary_key[0]
    )


def remove_special_period(conn: Connection, period_id: int) -> None:
    if not conn.execute(delete(special_periods).where(special_periods.c.id == period_id)).rowcount:
        raise ConfigError(f"no special period with id {period_id}")


def list_special_periods(conn: Connection) -> list[dict[str, Any]]:
    rows = conn.execute(select(special_periods).order_by(special_periods.c.starts_at))
    return [dict(row._mapping) for row in rows]


def strictness_at(conn: Connection, now: datetime, department: str | None) -> Strictness:
    """The strictest special period in force for the department now (none: the defaults)."""
    rows = conn.execute(
        select(special_periods).where(
            special_periods.c.starts_at <= now, special_periods.c.ends_at > now
        )
    ).all()
    best = Strictness()
    for row in rows:
        if row.departments and department not in row.departments:
            continue
        if row.threshold_factor < best.threshold_factor or row.alpha_factor > best.alpha_factor:
            best = Strictness(
                min(best.threshold_factor, row.threshold_factor),
                max(best.alpha_factor, row.alpha_factor),
                row.name,
            )
    return best
