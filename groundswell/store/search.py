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
    sentiment: str | None = None
    sentiment_confidence: float | None = None
    story_key: str | None = None
    is_repost: bool | None = None
    event_id: str | None = None

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
            "sentiment": self.sentiment,
            "sentiment_confidence": self.sentiment_confidence,
            "story_key": self.story_key,
            "is_repost": self.is_repost,
            "event_id": self.event_id,
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
    posts.c.sentiment,
    posts.c.sentiment_confidence,
    posts.c.story_key,
    posts.c.is_repost,
    posts.c.event_id,
)
FTS = table("posts_fts", column("rowid"), column("rank"))


def search_posts(conn: Connection, query: SearchQuery) -> list[SearchHit]:
    """Run a search; raises QueryError with a clear message on a bad query."""
    words = _validate(query)
    if words and conn.dialect.name == "sqlite":
        return _sqlite_search(conn, query, words)
    joined = posts.join(sources, sources.c.id == posts.c.source_id)
    score: ColumnElement[Any] = null()
    where = _filters(query)
    if words:
        tsquery = func.to_tsquery("simple", " & ".join(f"'{w}'" for w in words))
        where.append(literal_column("posts.tsv").bool_op("@@")(tsquery))
        score = func.ts_rank(literal_column("posts.tsv"), tsquery)
    stmt = select(*COLUMNS, score.label("score")).select_from(joined).where(*where)
    if words and query.order == "relevance":
        stmt = stmt.order_by(literal_column("score").desc(), posts.c.sort_at.desc())
    else:
        stmt = stmt.order_by(posts.c.sort_at.desc(), posts.c.id.desc())
    stmt = stmt.limit(query.limit).offset(query.offset)
    return [_hit(row._mapping) for row in conn.execute(stmt)]


# -- SQLite FTS5 ---------------------------------------------------------------------
# Query shapes, measured on 1M posts (docs/performance.md):
# * Joined to posts_fts, SQLite's planner may prefer walking an index of posts (for
#   ORDER BY sort_at, or a source/time filter) and run the full-text query once per
#   post with a rowid constraint, ~1 ms each: seconds to a minute for one search.
#   Filters and the join are therefore written with "+" on the posts columns (SQLite
#   then cannot use their indexes), so the matches drive: a row lookup (~2 us) per
#   match, then a sort. That is the plan for relevance, and for newest-first when
#   few posts match: fewer than DENSE_PER_SQRT_POSTS * sqrt(N) of N, at most
#   DENSE_MATCHES_CAP (matches are counted only up to that, which is cheap).
# * With more matches, newest-first walks ix_posts_sort_at from the newest post and
#   keeps posts whose id is in the materialised match set (~0.1 us per post passed,
#   ~20 * N / matches posts when matches are spread in time), stopping at the page's
#   last row: ~50 ms instead of ~800 ms for the most common Chinese word in 1M posts.
#   The walk is confined to a time window expected to hold about WALK_PER_MATCH *
#   matches posts, so it never costs much more than the first plan; if the window
#   holds too few matches (e.g. they are all old), the first plan answers instead.
#   The window is a prefix of the newest-first order, so a full page from it is exact.
DENSE_PER_SQRT_POSTS = 2
DENSE_MATCHES_CAP = 2000
WALK_PER_MATCH = 16


def _match(words: list[str]) -> ColumnElement[bool]:
    return text("posts_fts MATCH :match").bindparams(match=" ".join(f'"{w}"' for w in words))


def _unindexed(name: str, like: ColumnElement[Any]) -> ColumnElement[Any]:
    """`+table.column`: the same value, but SQLite will not drive the query by its index."""
    return literal_column(f"+{name}", type_=like.type)


def _match_driven_filters(query: SearchQuery) -> list[ColumnElement[bool]]:
    sort_at = _unindexed("posts.sort_at", posts.c.sort_at)
    clauses: list[ColumnElement[bool]] = []
    if query.since is not None:
        clauses.append(sort_at >= query.since)
    if query.until is not None:
        clauses.append(sort_at < query.until)
    if query.source:
        clauses.append(sources.c.name == query.source)
    if query.lang:
        clauses.append(posts.c.lang == query.lang)
    return clauses


def _match_driven_from() -> Any:
    source_id = _unindexed("posts.source_id", posts.c.source_id)
    return FTS.join(posts, posts.c.id == FTS.c.rowid).join(sources, sources.c.id == source_id)


def _sqlite_search(conn: Connection, query: SearchQuery, words: list[str]) -> list[SearchHit]:
    stmt = select(*COLUMNS, (-FTS.c.rank).label("score")).select_from(_match_driven_from())
    if query.order == "relevance":
        stmt = (
            stmt.where(_match(words), *_match_driven_filters(query))
            .order_by(literal_column("score").desc(), posts.c.sort_at.desc())
            .limit(query.limit)
            .offset(query.offset)
        )
        return [_hit(row._mapping) for row in conn.execute(stmt)]
    wanted = query.limit + query.offset
    cap = max(wanted, DENSE_MATCHES_CAP)
    probe = select(FTS.c.rowid).where(_match(words)).limit(cap).subquery()
    top_id, counted = conn.execute(
        select(
            select(func.max(posts.c.id)).scalar_subquery(),
            select(func.count()).select_from(probe).scalar_subquery(),
        )
    ).one()
    dense = max(wanted, min(cap, DENSE_PER_SQRT_POSTS * math.isqrt(top_id or 0)))
    page = None
    if counted >= dense:
        # The matches as counted up to `dense`: a lower bound, so the window errs short.
        page = _walk_newest(conn, query, words, dense, top_id)
    if page is None:
        # Order the matches' ids by time; the page is read in the same statement.
        page_ids = (
            select(posts.c.id)
            .select_from(_match_driven_from())
            .where(_match(words), *_match_driven_filters(query))
            .order_by(posts.c.sort_at.desc(), posts.c.id.desc())
            .limit(query.limit)
            .offset(query.offset)
        )
        in_page: ColumnElement[bool] = _unindexed("posts_fts.rowid", posts.c.id).in_(page_ids)
    elif not page:
        return []
    else:
        # A rowid range lets FTS5 skip to the page's posts (recent posts have close ids).
        in_page = FTS.c.rowid.between(min(page), max(page)) & _unindexed(
            "posts_fts.rowid", posts.c.id
        ).in_(page)
    # "+posts_fts.rowid": a filter on the scan of matches, not one FTS lookup per id.
    stmt = stmt.where(_match(words), in_page).order_by(posts.c.sort_at.desc(), posts.c.id.desc())
    return [_hit(row._mapping) for row in conn.execute(stmt)]


def _walk_newest(
    conn: Connection, query: SearchQuery, words: list[str], matches: int, top_id: int
) -> list[int] | None:
    """The page's ids by walking the time index; None when the window holds too few."""
    newest, oldest = conn.execute(
        select(
            select(func.max(posts.c.sort_at)).scalar_subquery(),
            select(func.min(posts.c.sort_at)).scalar_subquery(),
        )
    ).one()
    wanted = query.limit + query.offset
    where = _filters(query)
    share = WALK_PER_MATCH * matches / max(top_id, 1)
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
        .where(*where, _unindexed("posts.id", posts.c.id).in_(members))
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
        sentiment=m["sentiment"],
        sentiment_confidence=m["sentiment_confidence"],
        story_key=m["story_key"],
        is_repost=m["is_repost"],
        event_id=m["event_id"],
    )
