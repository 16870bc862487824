"""Full-text search over stored posts: FTS5 on SQLite, tsvector + GIN on PostgreSQL.

Both index the same pre-computed `tokens` (jieba words for Chinese, lower-cased
words for English), and queries are tokenised the same way, so Chinese search
works without a database-side segmenter.
"""

from __future__ import annotations

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
    joined = posts.join(sources, sources.c.id == posts.c.source_id)
    score: ColumnElement[Any] = null()
    where = _filters(query)
    if words and conn.dialect.name == "postgresql":
        tsquery = func.to_tsquery("simple", " & ".join(f"'{w}'" for w in words))
        where.append(literal_column("posts.tsv").bool_op("@@")(tsquery))
        score = func.ts_rank(literal_column("posts.tsv"), tsquery)
    elif words:
        joined = joined.join(FTS, FTS.c.rowid == posts.c.id)
        match = " ".join(f'"{w}"' for w in words)
        where.append(text("posts_fts MATCH :match").bindparams(match=match))
        score = -FTS.c.rank
    stmt = select(*COLUMNS, score.label("score")).select_from(joined).where(*where)
    if words and query.order == "relevance":
        stmt = stmt.order_by(literal_column("score").desc(), posts.c.sort_at.desc())
    else:
        stmt = stmt.order_by(posts.c.sort_at.desc(), posts.c.id.desc())
    stmt = stmt.limit(query.limit).offset(query.offset)
    return [_hit(row._mapping) for row in conn.execute(stmt)]


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
