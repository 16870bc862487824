"""Table definitions (SQLAlchemy Core: the ingest path is bulk, not per-object)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect

metadata = MetaData()


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite has no time zones: store UTC, read aware)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: Groundswell stores aware UTC times")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def bind_processor(self, dialect: Dialect) -> Any:
        """On SQLite, one step from an aware datetime to the stored text.

        The same text as `process_bind_param` followed by SQLAlchemy's SQLite
        DATETIME formatting (a test compares them), in a third of the time: the
        writer binds several times a post. Other backends keep the two steps.
        """
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)
        return _sqlite_utc_text

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _sqlite_utc_text(value: datetime | None) -> str | None:
    if value is None:
        return None
    offset = value.utcoffset()
    if offset is None:
        raise ValueError(f"naive datetime {value!r}: Groundswell stores aware UTC times")
    if offset:
        value = value - offset  # the UTC wall time; its tzinfo is dropped next
    return value.replace(tzinfo=None).isoformat(" ", "microseconds")


Json = JSON().with_variant(JSONB(), "postgresql")

# BigInteger ids on PostgreSQL, INTEGER PRIMARY KEY (rowid alias) on SQLite.
Id = BigInteger().with_variant(Integer(), "sqlite")

meta = Table(
    "meta",
    metadata,
    Column("key", String(100), primary_key=True),
    Column("value", Text, nullable=False),
)

sources = Table(
    "sources",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("kind", String(50), nullable=False),
    Column("config", Json, nullable=False),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("interval_seconds", Integer, nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("next_due_at", UtcDateTime(), nullable=True),
    Column("last_attempt_at", UtcDateTime(), nullable=True),
    Column("last_success_at", UtcDateTime(), nullable=True),
    Column("consecutive_failures", Integer, nullable=False, default=0),
    Column("last_error", Text, nullable=True),
    Column("state", Json, nullable=False, default=dict),
    Column("posts_total", BigInteger, nullable=False, default=0),
    # 1 national media / official account ... 4 ordinary account: weighs into heat.
    Column("authority_tier", Integer, nullable=False, default=4, server_default="4"),
)

posts = Table(
    "posts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("source_id", Id, ForeignKey("sources.id", ondelete="CASCADE"), nullable=False),
    Column("dedup_key", String(2100), nullable=False),
    Column("external_id", String(1000), nullable=True),
    Column("url", Text, nullable=True),
    Column("canonical_url", Text, nullable=True),
    Column("title", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("lang", String(8), nullable=False),
    Column("tokens", Text, nullable=False),
    Column("author_key", String(64), nullable=True),
    Column("published_at", UtcDateTime(), nullable=True),
    Column("collected_at", UtcDateTime(), nullable=False),
    Column("sort_at", UtcDateTime(), nullable=False),  # published, else collected
    Column("engagement", Json, nullable=False),
    Column("raw", Json, nullable=False),
    Column("content_hash", String(64), nullable=False),
    # Analysis results (null for posts stored before analysis existed).
    Column("sentiment", String(8), nullable=True),
    Column("sentiment_confidence", Float, nullable=True),
    Column("story_key", String(80), nullable=True),
    Column("is_repost", Boolean, nullable=True),
    Column("fingerprint", LargeBinary, nullable=True),
    Column("event_id", String(80), nullable=True),
    UniqueConstraint("source_id", "dedup_key", name="uq_posts_source_dedup"),
    Index("ix_posts_sort_at", "sort_at"),
    Index("ix_posts_source_sort_at", "source_id", "sort_at"),
    Index("ix_posts_content_hash", "content_hash"),
    Index("ix_posts_story_key", "story_key"),
    Index("ix_posts_event_sort_at", "event_id", "sort_at"),
)

collection_runs = Table(
    "collection_runs",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("source_id", Id, ForeignKey("sources.id", ondelete="CASCADE"), nullable=False),
    Column("started_at", UtcDateTime(), nullable=False),
    Column("finished_at", UtcDateTime(), nullable=False),
    Column("status", String(20), nullable=False),  # ok | not_modified | error
    Column("items", Integer, nullable=False, default=0),
    Column("stored", Integer, nullable=False, default=0),
    Column("duplicates", Integer, nullable=False, default=0),
    Column("quarantined", Integer, nullable=False, default=0),
    Column("error", Text, nullable=True),
    Index("ix_collection_runs_source_started", "source_id", "started_at"),
)

quarantine = Table(
    "quarantine",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("source_id", Id, ForeignKey("sources.id", ondelete="CASCADE"), nullable=True),
    Column("reason", Text, nullable=False),
    Column("raw", Json, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_quarantine_created", "created_at"),
)

schemes = Table(
    "schemes",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("department", String(200), nullable=True),
    Column("subject_words", Json, nullable=False),
    Column("region_words", Json, nullable=False),
    Column("event_words", Json, nullable=False),
    Column("exclusion_words", Json, nullable=False),
    Column("query", Text, nullable=False, default=""),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

post_matches = Table(
    "post_matches",
    metadata,
    Column("post_id", Id, ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
    Column("scheme_id", Id, ForeignKey("schemes.id", ondelete="CASCADE"), primary_key=True),
    Column("terms", Json, nullable=False),  # the query terms that hit, for highlighting
    Column("sort_at", UtcDateTime(), nullable=False),  # the post's, for per-scheme windows
    # A monitor's mark: relevant to the scheme (True), noise (False), not judged (None).
    Column("relevant", Boolean, nullable=True),
    Index("ix_post_matches_scheme_sort_at", "scheme_id", "sort_at"),
)

stories = Table(
    "stories",
    metadata,
    Column("story_key", String(80), primary_key=True),
    Column("original_post_id", Id, ForeignKey("posts.id", ondelete="SET NULL"), nullable=True),
    Column("posts", Integer, nullable=False),  # the original and its reposts
    Column("first_seen", UtcDateTime(), nullable=False),
    Column("last_seen", UtcDateTime(), nullable=False),
    # Deleting a post sets this to NULL: without the index, every delete scans stories.
    Index("ix_stories_original_post_id", "original_post_id"),
)

events = Table(
    "events",
    metadata,
    Column("id", String(80), primary_key=True),
    Column("title", Text, nullable=False),
    Column("key_terms", Json, nullable=False),
    Column("first_seen", UtcDateTime(), nullable=False),
    Column("last_seen", UtcDateTime(), nullable=False),
    Column("size", Integer, nullable=False),
    Column("sentiment_mix", Json, nullable=False),
    Column("sources", Json, nullable=False),
    Column("reposts", Integer, nullable=False, default=0),
    Column("engagement", Json, nullable=False),  # summed over the event's posts
    Column("posts_per_hour", Float, nullable=False, default=0.0),
    Column("heat", Float, nullable=False, default=0.0),
    Column("heat_components", Json, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Index("ix_events_last_seen", "last_seen"),
    Index("ix_events_heat", "heat"),
)

sentiment_corrections = Table(
    "sentiment_corrections",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("post_id", Id, ForeignKey("posts.id", ondelete="SET NULL"), nullable=True),
    Column("text", Text, nullable=False),  # kept: the post may expire before retraining
    Column("lang", String(8), nullable=False),
    Column("label", String(8), nullable=False),
    Column("previous_label", String(8), nullable=True),
    Column("created_by", String(200), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_sentiment_corrections_post_id", "post_id"),
)

# State of the stateful analysis stages (the event clusterer's active window), so a
# restart resumes where it stopped.
analysis_state = Table(
    "analysis_state",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("state", Json, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

# Posts per UTC hour, source and sentiment ('' before analysis): the dashboard's windows
# read this instead of scanning posts. Kept by triggers on posts (migration 0006), so every
# write path (ingest, corrections, merges, retention, source removal) keeps it exact.
post_counts = Table(
    "post_counts",
    metadata,
    Column("hour", UtcDateTime(), primary_key=True),
    Column("source_id", Id, ForeignKey("sources.id", ondelete="CASCADE"), primary_key=True),
    Column("sentiment", String(8), primary_key=True),
    Column("posts", BigInteger, nullable=False),
    sqlite_with_rowid=False,
)

# Tables of other domains register on the same metadata (imported last, by design).
from groundswell.store import tables_accounts, tables_alerts  # noqa: E402, F401
