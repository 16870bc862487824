"""Monitoring schemes as stored: the four boxes and the advanced query, validated on save."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from groundswell.analyze.query import format_query
from groundswell.analyze.schemes import Scheme, scheme_query
from groundswell.errors import ConfigError
from groundswell.store.tables import schemes

__all__ = [
    "add_scheme",
    "get_scheme",
    "list_schemes",
    "remove_scheme",
    "scheme_text",
    "schemes_version",
    "update_scheme",
]

_BOXES = ("subject_words", "region_words", "event_words", "exclusion_words")


def _scheme(row: Any) -> Scheme:
    m = row._mapping
    return Scheme(
        id=m["id"],
        name=m["name"],
        subject_words=list(m["subject_words"]),
        region_words=list(m["region_words"]),
        event_words=list(m["event_words"]),
        exclusion_words=list(m["exclusion_words"]),
        query=m["query"],
    )


def _clean_words(words: Sequence[str]) -> list[str]:
    """Boxes are word lists; blanks and repeats are typing noise, not meaning."""
    out: list[str] = []
    for word in words:
        word = word.strip()
        if word and word not in out:
            out.append(word)
    return out


def add_scheme(
    conn: Connection,
    name: str,
    *,
    subject_words: Sequence[str] = (),
    region_words: Sequence[str] = (),
    event_words: Sequence[str] = (),
    exclusion_words: Sequence[str] = (),
    query: str = "",
    department: str | None = None,
    now: datetime | None = None,
) -> Scheme:
    """Validate (raises QueryError pointing at the problem) and store a new scheme."""
    name = name.strip()
    if not name:
        raise ConfigError("a scheme needs a name")
    if conn.execute(select(schemes.c.id).where(schemes.c.name == name)).first():
        raise ConfigError(f"a scheme named {name!r} already exists")
    boxes = {
        "subject_words": _clean_words(subject_words),
        "region_words": _clean_words(region_words),
        "event_words": _clean_words(event_words),
        "exclusion_words": _clean_words(exclusion_words),
    }
    scheme_query(Scheme(id=0, name=name, query=query.strip(), **boxes))  # validates
    now = now or datetime.now(UTC)
    conn.execute(
        insert(schemes).values(
            name=name,
            department=department,
            query=query.strip(),
            enabled=True,
            created_at=now,
            updated_at=now,
            **boxes,
        )
    )
    return get_scheme(conn, name)


def update_scheme(conn: Connection, name_or_id: str | int, **changes: Any) -> Scheme:
    """Change boxes, query, department or enabled; the result is validated before saving."""
    current = get_scheme(conn, name_or_id)
    allowed = {*_BOXES, "query", "department", "enabled", "name"}
    unknown = set(changes) - allowed
    if unknown:
        raise ConfigError(f"unknown scheme fields: {', '.join(sorted(unknown))}")
    for box in _BOXES:
        if box in changes:
            changes[box] = _clean_words(changes[box])
    if "query" in changes:
        changes["query"] = changes["query"].strip()
    merged = {box: changes.get(box, getattr(current, box)) for box in (*_BOXES, "query", "name")}
    scheme_query(Scheme(id=current.id, **merged))
    conn.execute(
        update(schemes)
        .where(schemes.c.id == current.id)
        .values(updated_at=datetime.now(UTC), **changes)
    )
    return get_scheme(conn, current.id)


def get_scheme(conn: Connection, name_or_id: str | int) -> Scheme:
    column = schemes.c.id if isinstance(name_or_id, int) else schemes.c.name
    row = conn.execute(select(schemes).where(column == name_or_id)).first()
    if row is None:
        raise ConfigError(f"no scheme {name_or_id!r}")
    return _scheme(row)


def list_schemes(conn: Connection, *, enabled_only: bool = False) -> list[Scheme]:
    query = select(schemes).order_by(schemes.c.id)
    if enabled_only:
        query = query.where(schemes.c.enabled.is_(True))
    return [_scheme(row) for row in conn.execute(query)]


def remove_scheme(conn: Connection, name_or_id: str | int) -> None:
    scheme = get_scheme(conn, name_or_id)
    conn.execute(delete(schemes).where(schemes.c.id == scheme.id))


def schemes_version(conn: Connection) -> str:
    """Changes whenever a scheme is added, edited or removed: workers recompile on change."""
    row = conn.execute(select(func.count(), func.max(schemes.c.updated_at))).one()
    return f"{row[0]}:{row[1].isoformat() if row[1] else '-'}"


def scheme_text(scheme: Scheme) -> str:
    """The query the four boxes and the advanced query compile to, as text."""
    return format_query(scheme_query(scheme))
