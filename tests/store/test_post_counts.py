"""`post_counts`, kept by triggers, always equals a GROUP BY over posts: after ingest,
corrections, retention, source removal, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from groundswell.context import Desk
from groundswell.models import RawItem
from groundswell.store.analysis import add_correction
from groundswell.store.dashboard import sentiment_share, source_breakdown, volume
from groundswell.store.retention import Policy, sweep
from groundswell.store.sources import add_source, remove_source
from groundswell.store.tables import post_counts, posts

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
TEXTS = [
    "地铁二号线故障，乘客滞留",
    "今天的展览很精彩",
    "服务太差了，投诉无门",
    "Flight delayed again",
]


def counted(desk: Desk) -> dict[tuple[str, int, str], int]:
    with desk.engine.connect() as conn:
        rows = conn.execute(
            select(post_counts.c.hour, post_counts.c.source_id, post_counts.c.sentiment,
                   post_counts.c.posts).where(post_counts.c.posts != 0)
        ).all()  # fmt: skip
    return {(r.hour.strftime("%Y-%m-%d %H"), r.source_id, r.sentiment): r.posts for r in rows}


def truth(desk: Desk) -> dict[tuple[str, int, str], int]:
    out: dict[tuple[str, int, str], int] = {}
    with desk.engine.connect() as conn:
        for sort_at, source_id, sentiment in conn.execute(
            select(posts.c.sort_at, posts.c.source_id, posts.c.sentiment)
        ):
            key = (sort_at.astimezone(UTC).strftime("%Y-%m-%d %H"), source_id, sentiment or "")
            out[key] = out.get(key, 0) + 1
    return out


def ingest(desk: Desk, source_id: int, prefix: str, hours: list[float]) -> None:
    items = [
        RawItem(raw={"id": f"{prefix}{i}"}, external_id=f"{prefix}{i}",
                text=f"{TEXTS[i % len(TEXTS)]} #{prefix}{i}",
                published_at=T0 + timedelta(hours=h))
        for i, h in enumerate(hours)
    ]  # fmt: skip
    desk.pipeline.ingest(source_id, items)


def test_counts_follow_every_write_path(desk: Desk) -> None:
    with desk.engine.begin() as conn:
        weibo = add_source(conn, "weibo", "push", {"token": "t" * 32}).id
        news = add_source(conn, "news", "push", {"token": "u" * 32}).id
    ingest(desk, weibo, "w", [0, 0.2, 0.5, 1.5, 3, 26, 27.9])
    ingest(desk, news, "n", [0.1, 2, 50])
    ingest(desk, weibo, "w", [0, 0.2])  # repeats: stored once, counted once
    assert counted(desk) == truth(desk) and sum(truth(desk).values()) == 10

    with desk.engine.begin() as conn:
        post_id = conn.execute(select(posts.c.id).order_by(posts.c.id)).scalars().first()
        add_correction(conn, post_id, "negative")
        add_correction(conn, post_id, "positive")
    assert counted(desk) == truth(desk)

    with desk.engine.connect() as conn:
        until = T0 + timedelta(hours=60)
        hourly = dict(volume(conn, T0, until, "hour"))
        daily = dict(volume(conn, T0, until, "day"))
        share = sentiment_share(conn, T0, until)
        sources = dict(source_breakdown(conn, T0, until))
    assert sum(hourly.values()) == sum(daily.values()) == sum(share.values()) == 10
    assert hourly[T0.strftime("%Y-%m-%dT%H:00")] == 4 and sources == {"weibo": 7, "news": 3}

    # retention: posts collected long ago go, and their counts with them
    sweep(desk.engine, Policy(posts_days=1, alerts_days=0, audit_days=0, operations_days=0),
          datetime.now(UTC) + timedelta(days=3))  # fmt: skip
    assert truth(desk) == {} and counted(desk) == {}

    ingest(desk, news, "m", [1, 2])
    with desk.engine.begin() as conn:
        remove_source(conn, "news")  # cascades to its posts and its counts
        left = conn.execute(select(func.count()).select_from(post_counts)).scalar()
    assert counted(desk) == truth(desk) == {} and left == 0
