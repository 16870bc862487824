"""insert_many_sqlite: the rows Core would store, in as many statements as SQLite allows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Connection, select

import groundswell.store.bulk as bulk
from groundswell.store.schemes import add_scheme
from groundswell.store.sources import add_source
from groundswell.store.tables import post_matches, posts
from tests.conftest import make_desk
from tests.store.test_posts import make_post

T0 = datetime(2026, 8, 1, 9, 0, tzinfo=UTC)
COLUMNS = ("post_id", "scheme_id", "terms", "sort_at")


def _match_rows(post_ids: list[int], scheme_ids: list[int]) -> list[dict[str, object]]:
    zones = [UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-5, minutes=-30))]
    return [
        {
            "post_id": post_id,
            "scheme_id": scheme_id,
            "terms": [["水灾", "flood"], [], ['"quoted" <b>', "\\"]][(post_id + scheme_id) % 3],
            "sort_at": (T0 + timedelta(seconds=post_id, microseconds=scheme_id)).astimezone(
                zones[post_id % 3]
            ),
        }
        for post_id in post_ids
        for scheme_id in scheme_ids
    ]


def _store(url: str, insert: str) -> tuple[list[int], list[tuple[object, ...]]]:
    desk = make_desk(url)
    try:
        with desk.engine.begin() as conn:
            source_id = add_source(conn, "s", "file", {"path": "x"}).id
            scheme_ids = [add_scheme(conn, f"s{i}", subject_words=["x"]).id for i in range(4)]
            for i in range(10):
                conn.execute(posts.insert(), [_row(make_post(source_id, f"id:{i}"))])
            post_ids = list(conn.execute(select(posts.c.id).order_by(posts.c.id)).scalars())
        rows = _match_rows(post_ids, scheme_ids)
        with desk.engine.begin() as conn:
            counts = [_insert(conn, insert, rows), _insert(conn, insert, rows[:13])]
        with desk.engine.connect() as conn:
            stored = conn.exec_driver_sql(
                "SELECT post_id, scheme_id, terms, sort_at, relevant FROM post_matches"
                " ORDER BY post_id, scheme_id"
            ).all()
        return counts, [tuple(r) for r in stored]
    finally:
        desk.close()


def _row(post: object) -> dict[str, object]:
    from groundswell.store.posts import post_row

    return post_row(post)  # type: ignore[arg-type]


def _insert(conn: Connection, how: str, rows: list[dict[str, object]]) -> int:
    if how == "core":
        stmt = post_matches.insert().prefix_with("OR IGNORE")
        return conn.execute(stmt, rows).rowcount
    return bulk.insert_many_sqlite(conn, post_matches, COLUMNS, rows, "ON CONFLICT DO NOTHING")


def test_matches_go_in_as_core_puts_them(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk, "ROWS_PER_STATEMENT", 6)  # 40 rows: seven statements
    core = _store(f"sqlite:///{tmp_path}/core.db", "core")
    ours = _store(f"sqlite:///{tmp_path}/ours.db", "bulk")
    assert core == ours
    assert ours[0] == [40, 0]  # the second insert repeats rows already there
    assert len(ours[1]) == 40


def test_statements_stay_under_sqlites_variable_limit(
    tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With room for one row of variables a statement, every row still goes in."""
    monkeypatch.setattr(bulk, "_MAX_VARIABLES", 5)
    counts, stored = _store(f"sqlite:///{tmp_path}/small.db", "bulk")
    assert counts == [40, 0] and len(stored) == 40


def test_a_column_with_a_python_default_must_be_given(tmp_path: object) -> None:
    """Core fills such a column on insert and this would not: it refuses rather than differ."""
    from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine

    table = Table(
        "defaulted",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("name", String, default="anonymous"),
    )
    engine = create_engine(f"sqlite:///{tmp_path}/d.db")
    table.create(engine)
    with engine.begin() as conn, pytest.raises(ValueError, match="name"):
        bulk.insert_many_sqlite(conn, table, ["id"], [{"id": 1}], "")
    with engine.begin() as conn:
        assert (
            bulk.insert_many_sqlite(conn, table, ["id", "name"], [{"id": 1, "name": "x"}], "") == 1
        )
    engine.dispose()
