"""Full-text search for Chinese and English, on SQLite FTS5 and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from groundswell.context import Desk
from groundswell.errors import QueryError
from groundswell.store.posts import store_posts
from groundswell.store.search import SearchQuery, search_posts
from groundswell.store.sources import add_source
from tests.store.test_posts import make_post

T0 = datetime(2026, 8, 1, tzinfo=UTC)
TEXTS = [
    ("en", "New tariffs announced on steel imports"),
    ("en", "Tariffs and trade: what the new duties mean"),
    ("en", "Heavy rain floods the city centre"),
    ("zh", "牢牢守住教育公平底线"),
    ("zh", "暴雨导致城市内涝，教育部门发布停课通知"),
    ("zh", "今天天气很好"),
]


@pytest.fixture
def loaded(desk: Desk) -> Desk:
    from groundswell.analyze.tokenize import index_tokens

    with desk.engine.begin() as conn:
        news = add_source(conn, "news", "rss", {"url": "https://news.example/feed"})
        weibo = add_source(conn, "weibo", "push", {"token": "x" * 16})
        batch = []
        for i, (lang, text) in enumerate(TEXTS):
            source = news if lang == "en" else weibo
            batch.append(
                make_post(
                    source.id,
                    f"id:{i}",
                    text,
                    lang=lang,
                    tokens=index_tokens(text, lang),
                    published_at=T0 + timedelta(hours=i),
                )
            )
        store_posts(conn, batch)
    return desk


def run(desk: Desk, **kwargs: object) -> list[str]:
    with desk.engine.connect() as conn:
        return [h.text for h in search_posts(conn, SearchQuery(**kwargs))]  # type: ignore[arg-type]


def test_english_words_all_must_match_newest_first(loaded: Desk) -> None:
    assert run(loaded, text="tariffs") == [TEXTS[1][1], TEXTS[0][1]]
    assert run(loaded, text="Tariffs steel") == [TEXTS[0][1]]
    assert run(loaded, text="tariffs rain") == []


def test_chinese_words_are_segmented(loaded: Desk) -> None:
    assert run(loaded, text="教育") == [TEXTS[4][1], TEXTS[3][1]]
    assert run(loaded, text="教育公平") == [TEXTS[3][1]]
    assert run(loaded, text="暴雨 停课") == [TEXTS[4][1]]


def test_filters(loaded: Desk) -> None:
    assert run(loaded, lang="zh", limit=10) == [t for lang, t in reversed(TEXTS) if lang == "zh"]
    assert run(loaded, source="news", since=T0 + timedelta(hours=1)) == [TEXTS[2][1], TEXTS[1][1]]
    assert run(loaded, until=T0 + timedelta(hours=1)) == [TEXTS[0][1]]


def test_relevance_order_scores(loaded: Desk) -> None:
    with loaded.engine.connect() as conn:
        hits = search_posts(conn, SearchQuery("tariffs", order="relevance"))
    assert {h.text for h in hits} == {TEXTS[0][1], TEXTS[1][1]}
    assert all(h.score is not None for h in hits)
    assert hits[0].score >= hits[1].score  # type: ignore[operator]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"text": "!!! ..."}, "no searchable words"),
        ({"limit": 0}, "limit"),
        ({"since": T0, "until": T0 - timedelta(days=1)}, "after"),
        ({"since": datetime(2026, 1, 1)}, "time zone"),
        ({"order": "random"}, "order"),
    ],
)
def test_bad_queries_get_clear_errors(loaded: Desk, kwargs: dict, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        run(loaded, **kwargs)


def test_fts_syntax_in_queries_is_harmless(loaded: Desk) -> None:
    assert run(loaded, text='tariffs" OR "rain') == []  # "or" is a word that must appear too
    assert run(loaded, text='"tariffs* (steel):^') == [TEXTS[0][1]]
