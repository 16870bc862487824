"""`groundswell demo` end to end: replay server -> real fetch path -> store -> search."""

from __future__ import annotations

from rich.console import Console
from sqlalchemy import func, or_, select

from groundswell.context import Desk
from groundswell.demo.runner import run_demo
from groundswell.settings import load_settings
from groundswell.store.search import SearchQuery, search_posts
from groundswell.store.sources import list_sources
from groundswell.store.tables import events, post_matches, posts, schemes


async def test_demo_collects_every_kind_of_source(sqlite_url: str) -> None:
    settings = load_settings(database_url=sqlite_url, port=0)
    total = await run_demo(settings, speed=20_000, duration=8, console=Console(quiet=True))
    assert total > 300
    desk = Desk.open(settings)
    with desk.engine.connect() as conn:
        sources = {r.name: r for r in list_sources(conn)}
        assert {r.kind for r in sources.values()} == {"rss", "web", "push"}
        failing = {n: r.last_error for n, r in sources.items() if r.status != "ok"}
        assert not failing
        assert all(r.posts_total > 0 for r in sources.values())
        langs = set(conn.execute(select(posts.c.lang).distinct()).scalars())
        assert {"zh", "en"} <= langs
        assert search_posts(conn, SearchQuery("tariffs"))
        assert search_posts(conn, SearchQuery("中国"))
        # The analysis ran on what the demo collected: the demo schemes matched,
        # every post has a sentiment and an event, and events have heat.
        matched = conn.execute(
            select(schemes.c.name, func.count())
            .join(post_matches, post_matches.c.scheme_id == schemes.c.id)
            .group_by(schemes.c.name)
        ).all()
        assert any(count > 0 for _, count in matched), matched
        unanalysed = conn.execute(
            select(func.count()).where(or_(posts.c.sentiment.is_(None), posts.c.event_id.is_(None)))
        ).scalar()
        assert unanalysed == 0
        assert conn.execute(select(func.max(events.c.heat))).scalar() > 0
    desk.close()
