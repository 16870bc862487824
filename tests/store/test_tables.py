"""UtcDateTime: aware UTC datetimes on both backends, bound on SQLite as before, faster."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import DateTime
from sqlalchemy.dialects import postgresql, sqlite

from groundswell.store.tables import UtcDateTime

SQLITE = sqlite.dialect()


def _two_step(value: datetime | None) -> str | None:
    """What SQLAlchemy makes of it without the shortcut: our UTC step, then its DATETIME format."""
    plain = UtcDateTime().process_bind_param(value, SQLITE)
    return DateTime().dialect_impl(SQLITE).bind_processor(SQLITE)(plain)  # type: ignore[misc]


def _values() -> list[datetime]:
    rng = random.Random(11)
    zones = [
        UTC,
        timezone(timedelta(hours=8)),
        timezone(timedelta(hours=-14)),
        timezone(timedelta(hours=5, minutes=45)),
        ZoneInfo("Asia/Shanghai"),
        ZoneInfo("America/New_York"),
        ZoneInfo("Europe/London"),
    ]
    values = [
        datetime(2026, 3, 8, 2, 30, tzinfo=ZoneInfo("America/New_York")),  # in the spring gap
        datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=ZoneInfo("America/New_York")),  # repeated
        datetime(1, 1, 1, 12, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    ]
    for _ in range(3000):
        values.append(
            datetime(
                rng.randint(2, 9998),
                rng.randint(1, 12),
                rng.randint(1, 28),
                rng.randint(0, 23),
                rng.randint(0, 59),
                rng.randint(0, 59),
                rng.choice([0, rng.randint(0, 999_999)]),
                tzinfo=rng.choice(zones),
            )
        )
    return values


def test_sqlite_binds_the_same_text_as_the_two_step_path() -> None:
    bind = UtcDateTime().dialect_impl(SQLITE).bind_processor(SQLITE)
    assert bind is not None
    for value in _values():
        assert bind(value) == _two_step(value), value
    assert bind(None) is None


def test_naive_datetimes_are_refused_on_every_backend() -> None:
    naive = datetime(2026, 7, 24, 8, 0)
    with pytest.raises(ValueError, match="naive datetime"):
        UtcDateTime().dialect_impl(SQLITE).bind_processor(SQLITE)(naive)  # type: ignore[misc]
    with pytest.raises(ValueError, match="naive datetime"):
        _two_step(naive)
    dialect = postgresql.dialect()
    bind = UtcDateTime().dialect_impl(dialect).bind_processor(dialect)
    with pytest.raises(ValueError, match="naive datetime"):
        bind(naive) if bind else UtcDateTime().process_bind_param(naive, dialect)


def test_postgresql_still_gets_aware_utc_datetimes() -> None:
    dialect = postgresql.dialect()
    value = datetime(2026, 7, 24, 16, 0, tzinfo=timezone(timedelta(hours=8)))
    bind = UtcDateTime().dialect_impl(dialect).bind_processor(dialect)
    bound = bind(value) if bind else UtcDateTime().process_bind_param(value, dialect)
    assert bound == datetime(2026, 7, 24, 8, 0, tzinfo=UTC)
    assert bound.tzinfo is not None


def test_rows_store_the_utc_text_through_the_shortcut(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """End to end: a +08:00 time is stored as UTC and read back aware and equal (both backends)."""
    from sqlalchemy import Column, Integer, MetaData, Table, create_engine, select

    import groundswell.store.tables as tables

    calls: list[object] = []
    fast = tables._sqlite_utc_text
    monkeypatch.setattr(tables, "_sqlite_utc_text", lambda v: calls.append(v) or fast(v))
    table = Table(
        "utc_probe", MetaData(), Column("id", Integer, primary_key=True), Column("at", UtcDateTime)
    )
    engine = create_engine(db_url)
    value = datetime(2026, 7, 24, 16, 0, 0, 5, tzinfo=timezone(timedelta(hours=8)))
    try:
        table.create(engine)
        with engine.begin() as conn:
            conn.execute(table.insert(), [{"id": 1, "at": value}, {"id": 2, "at": None}])
            stored = conn.execute(select(table.c.at).order_by(table.c.id)).scalars().all()
            found = conn.execute(select(table.c.id).where(table.c.at == value)).scalars().all()
            if engine.dialect.name == "sqlite":
                text = conn.exec_driver_sql("SELECT at FROM utc_probe WHERE id = 1").scalar()
                assert text == "2026-07-24 08:00:00.000005"
                assert len(calls) == 3  # two rows, one WHERE parameter
    finally:
        table.drop(engine)
        engine.dispose()
    assert stored == [value, None] and stored[0].tzinfo is not None
    assert found == [1]
