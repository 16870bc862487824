"""analysis: sentiment, stories, events, schemes and their matches, corrections

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import groundswell.store.tables

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Json = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
When = groundswell.store.tables.UtcDateTime


def upgrade() -> None:
    op.add_column(
        "sources", sa.Column("authority_tier", sa.Integer(), nullable=False, server_default="4")
    )
    with op.batch_alter_table("posts") as batch:
        batch.add_column(sa.Column("sentiment", sa.String(8), nullable=True))
        batch.add_column(sa.Column("sentiment_confidence", sa.Float(), nullable=True))
        batch.add_column(sa.Column("story_key", sa.String(80), nullable=True))
        batch.add_column(sa.Column("is_repost", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("fingerprint", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("event_id", sa.String(80), nullable=True))
    op.create_index("ix_posts_story_key", "posts", ["story_key"])
    op.create_index("ix_posts_event_sort_at", "posts", ["event_id", "sort_at"])

    op.create_table(
        "schemes",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("department", sa.String(200), nullable=True),
        sa.Column("subject_words", Json, nullable=False),
        sa.Column("region_words", Json, nullable=False),
        sa.Column("event_words", Json, nullable=False),
        sa.Column("exclusion_words", Json, nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", When(timezone=True), nullable=False),
        sa.Column("updated_at", When(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "post_matches",
        sa.Column("post_id", Id, nullable=False),
        sa.Column("scheme_id", Id, nullable=False),
        sa.Column("terms", Json, nullable=False),
        sa.Column("sort_at", When(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["post_id"], ["posts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["scheme_id"], ["schemes.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("post_id", "scheme_id"),
    )
    op.create_index("ix_post_matches_scheme_sort_at", "post_matches", ["scheme_id", "sort_at"])
    op.create_table(
        "stories",
        sa.Column("story_key", sa.String(80), nullable=False),
        sa.Column("original_post_id", Id, nullable=True),
        sa.Column("posts", sa.Integer(), nullable=False),
        sa.Column("first_seen", When(timezone=True), nullable=False),
        sa.Column("last_seen", When(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["original_post_id"], ["posts.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("story_key"),
    )
    op.create_table(
        "events",
        sa.Column("id", sa.String(80), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("key_terms", Json, nullable=False),
        sa.Column("first_seen", When(timezone=True), nullable=False),
        sa.Column("last_seen", When(timezone=True), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sentiment_mix", Json, nullable=False),
        sa.Column("sources", Json, nullable=False),
        sa.Column("reposts", sa.Integer(), nullable=False),
        sa.Column("engagement", Json, nullable=False),
        sa.Column("posts_per_hour", sa.Float(), nullable=False),
        sa.Column("heat", sa.Float(), nullable=False),
        sa.Column("heat_components", Json, nullable=False),
        sa.Column("updated_at", When(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_events_last_seen", "events", ["last_seen"])
    op.create_index("ix_events_heat", "events", ["heat"])
    op.create_table(
        "sentiment_corrections",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("post_id", Id, nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("lang", sa.String(8), nullable=False),
        sa.Column("label", sa.String(8), nullable=False),
        sa.Column("previous_label", sa.String(8), nullable=True),
        sa.Column("created_by", sa.String(200), nullable=True),
        sa.Column("created_at", When(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["post_id"], ["posts.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "analysis_state",
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("state", Json, nullable=False),
        sa.Column("updated_at", When(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    for table in ("analysis_state", "sentiment_corrections", "events", "stories", "post_matches"):
        op.drop_table(table)
    op.drop_table("schemes")
    op.drop_index("ix_posts_event_sort_at", table_name="posts")
    op.drop_index("ix_posts_story_key", table_name="posts")
    with op.batch_alter_table("posts") as batch:
        for column in ("event_id", "fingerprint", "is_repost", "story_key"):
            batch.drop_column(column)
        batch.drop_column("sentiment_confidence")
        batch.drop_column("sentiment")
    op.drop_column("sources", "authority_tier")
