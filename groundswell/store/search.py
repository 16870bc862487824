"""Full-text search over stored posts: FTS5 on SQLite, tsvector + GIN on PostgreSQL.

Both index the same pre-computed `tokens` (jieba words for Chinese, lower-cased
words for English), and queries are tokenised the same way, so Chinese search
works without a database-side segmenter.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    Connection,
    column,
    func,
    literal_column,
    null,
    select,
    table,
    text,
)

from groundswell.analyze.tokenize import query_tokens
from groundswell.errors import QueryError
from groundswell.store.tables import posts, sources

Order = Literal["newest", "relevance"]
MAX_LIMIT = 1000


@dataclass(slots=True)
class SearchQuery:
    """A search: words that must all appear, plus filters. Empty `text` browses newest first."""

    text: str = ""
    since: datetime | None = None
    until: datetime | None = None
    source: str | None = None  # source name
    lang: str | None = None
    order: Order = "newest"
    limit: int = 20
    offset: int = 0


@dataclass(slots=True)
class SearchHit:
    id: int
    source: str
    url: str | None
    title: str
    text: str
    lang: str
    author_key: str | None
    published_at: datetime | None
    collected_at: datetime
    engagement: dict[str, Any]
    score: float | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "source": self.source,
            "url": self.url,
            "title": self.title,
            "text": self.text,
            "lang": self.lang,
            "author_key": self.author_key,
            "published_at": self.published_at.isoformat() if self.published_at else None,
            "collected_at": self.collected_at.isoformat(),
            "engagement": self.engagement,
            "score": self.score,
        }


def _validate(query: SearchQuery) -> list[str]:
    if not 1 <= query.limit <= MAX_LIMIT:
        raise QueryError(f"limit must be between 1 and {MAX_LIMIT}, got {query.limit}")
    if query.offset < 0:
        raise QueryError(f"offset must not be negative, got {query.offset}")
    if query.order not in ("newest", "relevance"):
        raise QueryError(f"order must be 'newest' or 'relevance', got {query.order!r}")
    if query.since and query.until and query.since > query.until:
        raise QueryError("'since' is after 'until'")
    for bound in (query.since, query.until):
        if bound is not None and bound.tzinfo is None:
            raise QueryError("times must carry a time zone (e.g. 2026-08-01T00:00+00:00)")
    words = query_tokens(query.text) if query.text.strip() else []
    if query.text.strip() and not words:
        raise QueryError(f"the query {query.text!r} has no searchable words", position=0)
    return words


def _filters(query: SearchQuery) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    if query.since is not None:
        clauses.append(posts.c.sort_at >= query.since)
    if query.until is not None:
        clauses.append(posts.c.sort_at < query.until)
    if query.source:
        clauses.append(sources.c.name == query.source)
    if query.lang:
        clauses.append(posts.c.lang == query.lang)
    return clauses


COLUMNS = (
    posts.c.id,
    sources.c.name.label("source"),
    posts.c.url,
    posts.c.title,
    posts.c.text,
    posts.c.lang,
    posts.c.author_key,
    posts.c.published_at,
    posts.c.collected_at,
    posts.c.engagement,
)
FTS = table("posts_fts", column("rowid"), column("rank"))


def search_posts(conn: Connection, query: SearchQuery) -> list[SearchHit]:
    """Run a search; raises QueryError with a clear message on a bad query."""
    words = _validate(query)
    if words and query.order == "newest" and conn.dialect.name == "sqlite":
        return _sqlite_newest(conn, query, words)
    joined = posts.join(sources, sources.c.id == posts.c.source_id)
    score: ColumnElement[Any] = null()
    where = _filters(query)
    if words and conn.dialect.name == "postgresql":
        tsquery = func.to_tsquery("simple", " & ".join(f"'{w}'" for w in words))
        where.append(literal_column("posts.tsv").bool_op("@@")(tsquery))
        score = func.ts_rank(literal_column("posts.tsv"), tsquery)
    elif words:
        joined = joined.join(FTS, FTS.c.rowid == posts.c.id)
        where.append(_match(words))
        score = -FTS.c.rank
    stmt = select(*COLUMNS, score.label("score")).select_from(joined).where(*where)
    if words and query.order == "relevance":
        stmt = stmt.order_by(literal_column("score").desc(), posts.c.sort_at.desc())
    else:
        stmt = stmt.order_by(posts.c.sort_at.desc(), posts.c.id.desc())
    stmt = stmt.limit(query.limit).offset(query.offset)
    return [_hit(row._mapping) for row in conn.execute(stmt)]


def _match(words: list[str]) -> ColumnElement[bool]:
    return text("posts_fts MATCH :match").bindparams(match=" ".join(f'"{w}"' for w in words))


# Newest-first on SQLite, where the plan depends on how many posts match (m of N):
# * few matches: order just the matching ids by time (a row lookup per match, ~2 us),
#   then fetch the page;
# * many matches: walk ix_posts_sort_at from the newest post and keep the posts whose
#   id is in the (materialised) match set, stopping at the page's last row. The walk
#   costs ~0.1 us per post passed, ~20 * N / m posts when matches are spread in time.
#   It is confined to a time window expected to hold ~WALK_PER_MATCH * m posts, so it
#   never costs much more than the first plan; when the window holds too few matches
#   (e.g. all are old), the first plan answers instead. The window is a prefix of the
#   newest-first order, so a full page from it is the true answer.
# Matches are counted only up to the threshold (2 * sqrt(N)), which is cheap. For a
# single very common word in 1M posts (290k matches) this is ~60 ms instead of ~800.
DENSE_PER_SQRT_POSTS = 2.0
WALK_PER_MATCH = 16


def _sqlite_newest(conn: Connection, query: SearchQuery, words: list[str]) -> list[SearchHit]:
    wanted = query.limit + query.offset
    newest, oldest, top_id = conn.execute(
        select(
            select(func.max(posts.c.sort_at)).scalar_subquery(),
            select(func.min(posts.c.sort_at)).scalar_subquery(),
            select(func.max(posts.c.id)).scalar_subquery(),
        )
    ).one()
    if top_id is None:
        return []
    dense = max(wanted, math.isqrt(top_id) * DENSE_PER_SQRT_POSTS)
    probe = select(FTS.c.rowid).where(_match(words)).limit(int(dense)).subquery()
    matches = conn.execute(select(func.count()).select_from(probe)).scalar_one()
    page: list[int] | None = None
    if matches >= dense:
        page = _walk_newest(conn, query, words, matches, top_id, newest, oldest)
    if page is None:
        page = _order_matches(conn, query, words)
    if not page:
        return []
    stmt = (
        select(*COLUMNS, (-FTS.c.rank).label("score"))
        .select_from(
            posts.join(sources, sources.c.id == posts.c.source_id).join(
                FTS, FTS.c.rowid == posts.c.id
            )
        )
        # "+": test membership while scanning the matches, not one FTS lookup per id.
        .where(_match(words), literal_column("+posts_fts.rowid").in_(page))
        .order_by(posts.c.sort_at.desc(), posts.c.id.desc())
    )
    return [_hit(row._mapping) for row in conn.execute(stmt)]


def _order_matches(conn: Connection, query: SearchQuery, words: list[str]) -> list[int]:
    """The page's ids, by sorting the ids (and times) of all matching posts."""
    stmt = (
        select(posts.c.id)
        .select_from(
            FTS.join(posts, posts.c.id == FTS.c.rowid).join(
                sources, sources.c.id == posts.c.source_id
            )
        )
        .where(_match(words), *_filters(query))
        .order_by(posts.c.sort_at.desc(), posts.c.id.desc())
        .limit(query.limit)
        .offset(query.offset)
    )
    return list(conn.execute(stmt).scalars())


def _walk_newest(
    conn: Connection,
    query: SearchQuery,
    words: list[str],
    matches: int,
    total: int,
    newest: datetime,
    oldest: datetime,
) -> list[int] | None:
    """The page's ids by walking the time index; None when the window is too short."""
    wanted = query.limit + query.offset
    where = _filters(query)
    share = WALK_PER_MATCH * matches / total
    windowed = share < 1 and newest > oldest
    if windowed:
        end = min(newest, query.until) if query.until is not None else newest
        start = end - (newest - oldest) * share
        if query.since is not None and query.since >= start:
            windowed = False  # the filter's own range is shorter than the window
        else:
            where.append(posts.c.sort_at >= start)
    members = select(FTS.c.rowid).where(_match(words))
    stmt = (
        select(posts.c.id)
        .select_from(posts.join(sources, sources.c.id == posts.c.source_id))
        .where(*where, literal_column("+posts.id").in_(members))
        .order_by(posts.c.sort_at.desc(), posts.c.id.desc())
        .limit(wanted)
    )
    ids = list(conn.execute(stmt).scalars())
    if len(ids) < wanted and windowed:
        return None
    return ids[query.offset :]


def _hit(m: Any) -> SearchHit:
    return SearchHit(
        id=m["id"],
        source=m["source"],
        url=m["url"],
        title=m["title"],
        text=m["text"],
        lang=m["lang"],
        author_key=m["author_key"],
        published_at=m["published_at"],
        collected_at=m["collected_at"],
        engagement=m["engagement"],
        score=float(m["score"]) if m["score"] is not None else None,
    )
