"""Backtest a query on stored posts before saving it: how much would it have matched?

Analysts tune a scheme against history, not against tomorrow's alerts. The scan
reads the newest posts first and stops at `max_scan`, so a backtest over a busy
month answers in seconds and says how much it looked at.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select

from groundswell.analyze.query import Document, compile_query
from groundswell.store.tables import posts, sources

__all__ = ["Backtest", "backtest_query"]


@dataclass(slots=True)
class Backtest:
    scanned: int = 0
    matched: int = 0
    complete: bool = True  # False when max_scan stopped the scan early
    per_day: dict[str, int] = field(default_factory=dict)
    sample: list[dict[str, Any]] = field(default_factory=list)


def backtest_query(
    conn: Connection,
    query: str,
    *,
    days: float = 7.0,
    sample: int = 10,
    max_scan: int = 200_000,
    now: datetime | None = None,
) -> Backtest:
    """Match `query` (QueryError if invalid) against the posts of the last `days`."""
    compiled = compile_query(query)
    since = (now or datetime.now(UTC)) - timedelta(days=days)
    rows = conn.execution_options(stream_results=True, yield_per=2000).execute(
        select(
            posts.c.id,
            posts.c.title,
            posts.c.text,
            posts.c.lang,
            posts.c.sort_at,
            sources.c.name,
        )
        .join(sources, sources.c.id == posts.c.source_id)
        .where(posts.c.sort_at >= since)
        .order_by(posts.c.sort_at.desc())
    )
    result = Backtest()
    for row in rows:
        if result.scanned >= max_scan:
            result.complete = False
            break
        result.scanned += 1
        doc = Document(title=row.title, text=row.text, source=row.name, lang=row.lang)
        match = compiled.matches(doc)
        if match is None:
            continue
        result.matched += 1
        day = row.sort_at.strftime("%Y-%m-%d")
        result.per_day[day] = result.per_day.get(day, 0) + 1
        if len(result.sample) < sample:
            result.sample.append(
                {
                    "id": row.id,
                    "time": row.sort_at.isoformat(),
                    "text": (row.title + " " + row.text).strip()[:300],
                    "terms": list(match.terms),
                }
            )
    rows.close()
    return result
