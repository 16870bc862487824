"""post_counts: posts per UTC hour, source and sentiment, for the dashboard's windows

Kept by triggers on posts (as posts_fts is on SQLite), so every write path counts.
Also indexes the two foreign keys that deleting a post sets to NULL (without them
every delete scans stories and sentiment_corrections: minutes for one source).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import groundswell.store.tables

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = groundswell.store.tables.UtcDateTime

SQLITE_HOUR = "strftime('%Y-%m-%d %H:00:00.000000', {row}.sort_at)"
POSTGRES_HOUR = "date_trunc('hour', {row}.sort_at, 'UTC')"
KEY = "hour = {hour} AND source_id = {row}.source_id AND sentiment = coalesce({row}.sentiment, '')"


def _sqlite_add(row: str) -> str:
    return (
        "INSERT INTO post_counts (hour, source_id, sentiment, posts)"
        f" VALUES ({SQLITE_HOUR.format(row=row)}, {row}.source_id,"
        f" coalesce({row}.sentiment, ''), 1)"
        " ON CONFLICT (hour, source_id, sentiment) DO UPDATE SET posts = posts + 1;"
    )


def _sqlite_take(row: str) -> str:
    # UPDATE, never INSERT: on a cascade from sources the source row is already gone.
    key = KEY.format(hour=SQLITE_HOUR.format(row=row), row=row)
    return f"UPDATE post_counts SET posts = posts - 1 WHERE {key};"


SQLITE = [
    f"CREATE TRIGGER post_counts_ai AFTER INSERT ON posts BEGIN {_sqlite_add('new')} END",
    f"CREATE TRIGGER post_counts_ad AFTER DELETE ON posts BEGIN {_sqlite_take('old')} END",
    "CREATE TRIGGER post_counts_au AFTER UPDATE OF sort_at, source_id, sentiment ON posts"
    " WHEN old.sort_at IS NOT new.sort_at OR old.source_id IS NOT new.source_id"
    " OR old.sentiment IS NOT new.sentiment"
    f" BEGIN {_sqlite_take('old')} {_sqlite_add('new')} END",
]

_DELTA = (
    "SELECT date_trunc('hour', sort_at, 'UTC') AS hour, source_id,"
    " coalesce(sentiment, '') AS sentiment, {sign} AS n FROM {table}"
)
_OLD, _NEW = _DELTA.format(sign=-1, table="old_rows"), _DELTA.format(sign=1, table="new_rows")
_UPSERT = (
    "INSERT INTO post_counts (hour, source_id, sentiment, posts)"
    " SELECT hour, source_id, sentiment, sum(n) FROM ({rows}) d"
    " GROUP BY 1, 2, 3 HAVING sum(n) <> 0 ORDER BY 1, 2, 3"  # one lock order
    " ON CONFLICT (hour, source_id, sentiment)"
    " DO UPDATE SET posts = post_counts.posts + excluded.posts;"
)
_TAKE = (
    "UPDATE post_counts c SET posts = c.posts + d.n FROM"
    " (SELECT hour, source_id, sentiment, sum(n) AS n FROM ({rows}) x GROUP BY 1, 2, 3) d"
    " WHERE c.hour = d.hour AND c.source_id = d.source_id AND c.sentiment = d.sentiment;"
)
POSTGRES = [  # statement-level with transition tables: one upsert per key per batch
    "CREATE FUNCTION post_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
    f" IF TG_OP = 'INSERT' THEN {_UPSERT.format(rows=_NEW)}"
    f" ELSIF TG_OP = 'DELETE' THEN {_TAKE.format(rows=_OLD)}"
    f" ELSE {_UPSERT.format(rows=_OLD + ' UNION ALL ' + _NEW)}"
    " END IF; RETURN NULL; END $$",
    "CREATE TRIGGER post_counts_ai AFTER INSERT ON posts REFERENCING NEW TABLE AS new_rows"
    " FOR EACH STATEMENT EXECUTE FUNCTION post_counts_apply()",
    "CREATE TRIGGER post_counts_ad AFTER DELETE ON posts REFERENCING OLD TABLE AS old_rows"
    " FOR EACH STATEMENT EXECUTE FUNCTION post_counts_apply()",
    "CREATE TRIGGER post_counts_au AFTER UPDATE ON posts REFERENCING OLD TABLE AS old_rows"
    " NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION post_counts_apply()",
]


def upgrade() -> None:
    op.create_table(
        "post_counts",
        sa.Column("hour", When(timezone=True), nullable=False),
        sa.Column("source_id", Id, nullable=False),
        sa.Column("sentiment", sa.String(8), nullable=False),
        sa.Column("posts", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["source_id"], ["sources.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("hour", "source_id", "sentiment"),
        sqlite_with_rowid=False,
    )
    dialect = op.get_bind().dialect.name
    for statement in SQLITE if dialect == "sqlite" else POSTGRES:
        op.execute(statement)
    hour = (SQLITE_HOUR if dialect == "sqlite" else POSTGRES_HOUR).format(row="posts")
    op.execute(
        "INSERT INTO post_counts (hour, source_id, sentiment, posts)"
        f" SELECT {hour}, source_id, coalesce(sentiment, ''), count(*) FROM posts GROUP BY 1, 2, 3"
    )
    op.create_index("ix_stories_original_post_id", "stories", ["original_post_id"])
    op.create_index("ix_sentiment_corrections_post_id", "sentiment_corrections", ["post_id"])


def downgrade() -> None:
    op.drop_index("ix_sentiment_corrections_post_id", "sentiment_corrections")
    op.drop_index("ix_stories_original_post_id", "stories")
    sqlite = op.get_bind().dialect.name == "sqlite"
    for name in ("post_counts_ai", "post_counts_ad", "post_counts_au"):
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + ("" if sqlite else " ON posts"))
    if not sqlite:
        op.execute("DROP FUNCTION IF EXISTS post_counts_apply()")
    op.drop_table("post_counts")
