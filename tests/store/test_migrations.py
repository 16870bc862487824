"""The migrations build exactly the tables the code declares, on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from groundswell.context import Desk
from groundswell.store.tables import metadata


def test_migrated_schema_matches_the_table_definitions(desk: Desk) -> None:
    with desk.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    # The search index (FTS5 table / tsvector column) is made by hand in 0001.
    diff = [d for d in diff if "fts" not in str(d) and "tsv" not in str(d)]
    assert diff == []


def test_analysis_tables_exist(desk: Desk) -> None:
    names = set(inspect(desk.engine).get_table_names())
    assert {"schemes", "post_matches", "stories", "events", "sentiment_corrections"} <= names
