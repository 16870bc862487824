"""Many rows into one SQLite table: the multi-row INSERT that Core sends, without its per-row work.

SQLAlchemy's "insertmanyvalues" sends rows as multi-row `INSERT ... VALUES`
statements, 1,000 rows each; with the FTS5 trigger on posts that matters (a
statement per row, as a plain `executemany` does, is ~3x dearer: FTS5 writes
an index segment per statement). But Core also runs its per-row parameter
handling in Python, a sixth of the writer's time. This builds the same
statement and binds each value with its column's own SQLAlchemy bind
processor, so the stored values are the same (tests compare the two).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from functools import lru_cache

from sqlalchemy import Connection, Table

__all__ = ["insert_many_sqlite", "is_pysqlite"]

_MAX_VARIABLES = 32766 if sqlite3.sqlite_version_info >= (3, 32) else 999
ROWS_PER_STATEMENT = 1000


def is_pysqlite(conn: Connection) -> bool:
    return conn.dialect.name == "sqlite" and conn.dialect.driver == "pysqlite"


def insert_many_sqlite(
    conn: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[Mapping[str, object]],
    conflict: str,
) -> int:
    """Insert `rows` (each holds every one of `columns`); returns how many were inserted.

    `conflict` is the statement's ON CONFLICT clause, e.g. "ON CONFLICT DO NOTHING".
    `rowcount` counts the rows inserted: not those the clause skipped, nor a trigger's.
    """
    # Core would fill a left-out column's Python-side default; this does not.
    defaulted = [c.name for c in table.columns if c.name not in columns and c.default is not None]
    if defaulted:
        raise ValueError(f"{table.name}: rows must give {defaulted} (their defaults are Python's)")
    dialect = conn.dialect
    bound = [
        (name, table.c[name].type.dialect_impl(dialect).bind_processor(dialect)) for name in columns
    ]
    per_statement = max(1, min(ROWS_PER_STATEMENT, _MAX_VARIABLES // len(columns)))
    inserted = 0
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        values = [
            process(row[name]) if process is not None else row[name]
            for row in chunk
            for name, process in bound
        ]
        sql = _statement(table.name, tuple(columns), len(chunk), conflict)
        inserted += conn.exec_driver_sql(sql, tuple(values)).rowcount
    return inserted


@lru_cache(maxsize=32)
def _statement(table: str, columns: tuple[str, ...], rows: int, conflict: str) -> str:
    row = "(" + ", ".join("?" * len(columns)) + ")"
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([row] * rows)} {conflict}"
