"""The whole pipeline on real posts: normalise, analyse, store, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from groundswell.context import Desk
from groundswell.models import RawItem, SourceBatch
from groundswell.store.schemes import add_scheme
from groundswell.store.sources import add_source
from groundswell.store.tables import events, post_matches, posts, stories
from tests.conftest import make_desk

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
T0 = datetime(2026, 8, 1, 9, 0, tzinfo=UTC)


def weibo_rows(limit: int) -> list[dict[str, str]]:
    with (DATA / "events" / "zh" / "weibo_cascades.csv").open(encoding="utf-8") as handle:
        return [row for _, row in zip(range(limit), csv.DictReader(handle), strict=False)]


def tweets(limit: int, about: str = "") -> list[str]:
    with (DATA / "sentiment" / "en" / "us_airline_tweets.csv").open(encoding="utf-8") as handle:
        rows = (row["text"] for row in csv.DictReader(handle) if about in row["text"].lower())
        return [text for _, text in zip(range(limit), rows, strict=False)]


def item(key: str, text: str, minutes: float, **extra: object) -> RawItem:
    return RawItem(
        raw={"id": key, "text": text},
        external_id=key,
        text=text,
        published_at=T0 + timedelta(minutes=minutes),
        **extra,  # type: ignore[arg-type]
    )


ORIGINAL = (
    "山东网友爆料：聊城八里庙南街57户居民遭暴力强拆，居民反抗，"
    "报警后公安称不属其管辖范围，数人以妨害公务被带走。"
)


def story_items() -> list[RawItem]:
    """An original, three reposts of it (chain, commentary, Traditional) and other posts."""
    return [
        item("o", ORIGINAL, 0, engagement={"reposts": 30, "likes": 100}),
        item("r1", f"转发微博 //@某网友:{ORIGINAL}", 5),
        item("r2", f"太过分了！强烈要求彻查！//@路人甲: 关注 //@某网友:{ORIGINAL}", 9),
        item(
            "r3",
            "山東網友爆料：聊城八里廟南街57戶居民遭暴力強拆，居民反抗，報警後公安稱不屬其管轄範圍，數人以妨害公務被帶走。",
            12,
        ),
        item("x1", "今天天气很好，去公园散步，看到很多人在放风筝。", 15),
        item("e1", "United flight delayed three hours again, terrible customer service", 20),
    ]


def ingest(desk: Desk, source: str, batch: list[RawItem]) -> None:
    with desk.engine.begin() as conn:
        record = add_source(conn, source, "push", {"token": "t" * 20}) if source else None
    assert record is not None
    desk.pipeline.ingest(record.id, batch)


def test_posts_are_analysed_and_stored_with_their_analysis(desk: Desk) -> None:
    with desk.engine.begin() as conn:
        scheme = add_scheme(conn, "强拆", subject_words=["强拆"], region_words=["聊城", "山东"])
        source = add_source(conn, "weibo", "push", {"token": "t" * 20})
    result = desk.pipeline.ingest(source.id, story_items())
    assert result.stored == 6
    with desk.engine.connect() as conn:
        rows = {r.external_id: r for r in conn.execute(select(posts))}
        matched = {
            r.post_id: r.terms
            for r in conn.execute(select(post_matches).where(post_matches.c.scheme_id == scheme.id))
        }
        story_rows = list(conn.execute(select(stories)))
        event_rows = list(conn.execute(select(events)))
    assert all(r.sentiment in {"negative", "neutral", "positive"} for r in rows.values())
    assert all(0 <= r.sentiment_confidence <= 1 for r in rows.values())
    assert rows["e1"].sentiment == "negative"
    # The original and all three reposts (chain, commentary, Traditional) match the scheme.
    assert {rows[k].id for k in ("o", "r1", "r2", "r3")} <= set(matched)
    assert rows["x1"].id not in matched and rows["e1"].id not in matched
    assert "强拆" in matched[rows["o"].id]
    # One story: the original is the earliest, three reposts.
    keys = {rows[k].story_key for k in ("o", "r1", "r2", "r3")}
    assert len(keys) == 1 and None not in keys
    assert rows["o"].is_repost is False and rows["r1"].is_repost is True
    assert rows["x1"].story_key not in keys
    story = next(s for s in story_rows if s.story_key in keys)
    assert (story.posts, story.original_post_id) == (4, rows["o"].id)
    # The story's posts are one event, with a heat score and its components.
    assert len({rows[k].event_id for k in ("o", "r1", "r2", "r3")}) == 1
    event = next(e for e in event_rows if e.id == rows["o"].event_id)
    assert event.size >= 4 and event.reposts >= 3
    assert 0 < event.heat <= 100
    assert event.heat == pytest.approx(sum(event.heat_components.values()), abs=0.05)
    assert event.engagement.get("likes") == 100


def test_ingesting_again_counts_nothing_twice(desk: Desk) -> None:
    with desk.engine.begin() as conn:
        add_scheme(conn, "强拆", subject_words=["强拆"])
        source = add_source(conn, "weibo", "push", {"token": "t" * 20})
    desk.pipeline.ingest(source.id, story_items())

    def snapshot() -> tuple[object, ...]:
        with desk.engine.connect() as conn:
            return (
                sorted(
                    tuple(r) for r in conn.execute(select(stories.c.story_key, stories.c.posts))
                ),
                sorted(
                    tuple(r)
                    for r in conn.execute(select(events.c.id, events.c.size, events.c.reposts))
                ),
                conn.execute(select(post_matches.c.post_id)).all(),
            )

    before = snapshot()
    again = desk.pipeline.ingest(source.id, story_items())
    assert (again.stored, again.duplicates) == (0, 6)
    assert snapshot() == before


def test_a_new_scheme_applies_to_the_next_batch(desk: Desk) -> None:
    with desk.engine.begin() as conn:
        source = add_source(conn, "tweets", "push", {"token": "t" * 20})
    texts = tweets(60, about="united")
    desk.pipeline.ingest(source.id, [item(f"a{i}", t, i) for i, t in enumerate(texts[:30])])
    with desk.engine.begin() as conn:
        scheme = add_scheme(conn, "airlines", query="united OR delayed OR cancelled")
    desk.pipeline.ingest(source.id, [item(f"b{i}", t, 40 + i) for i, t in enumerate(texts[30:])])
    with desk.engine.connect() as conn:
        matched = conn.execute(
            select(posts.c.external_id, posts.c.text)
            .join(post_matches, post_matches.c.post_id == posts.c.id)
            .where(post_matches.c.scheme_id == scheme.id)
        ).all()
    # Every tweet of the second batch mentions @united; none of the first is matched
    # retroactively (backtests do that).
    assert sorted(key for key, _ in matched) == sorted(f"b{i}" for i in range(30))


def test_stories_and_events_resume_after_a_restart(db_url: str) -> None:
    desk = make_desk(db_url)
    with desk.engine.begin() as conn:
        source = add_source(conn, "weibo", "push", {"token": "t" * 20})
    desk.pipeline.ingest(source.id, story_items()[:1])
    with desk.engine.connect() as conn:
        first = conn.execute(select(posts.c.story_key, posts.c.event_id)).one()
    desk.close()  # saves the event clusterer's state

    desk = make_desk(db_url, event_window_hours=48)  # a setting changed meanwhile
    desk.pipeline.ingest(source.id, story_items()[1:2])
    assert desk.pipeline._events is not None
    assert desk.pipeline._events.config.window_hours == 48  # the restored events follow it
    with desk.engine.connect() as conn:
        repost = conn.execute(
            select(posts.c.story_key, posts.c.event_id, posts.c.is_repost).where(
                posts.c.external_id == "r1"
            )
        ).one()
    desk.close()
    assert repost.is_repost is True
    assert repost.story_key == first.story_key
    assert repost.event_id == first.event_id


def hostile_items() -> list[RawItem]:
    """Empty, emoji-only, 1 MB, mixed-language with markup, NUL and a lone surrogate."""
    return [
        item("empty", "", 0, title="only a title about a flood"),
        item("emoji", "😀😀🔥🔥🙏", 1),
        item("huge", ("洪水 flood 来了。" * 80_000)[:1_000_000], 2),
        item("mixed", "Flood warning 洪水预警 <script>alert(1)</script>", 3),
        item("nul", "bad \x00 bytes \ud800 and flood", 4),
    ]


def test_hostile_and_odd_posts_are_analysed_without_loss(desk: Desk) -> None:
    with desk.engine.begin() as conn:
        add_scheme(conn, "any", subject_words=["flood", "洪水"])
        source = add_source(conn, "odd", "push", {"token": "t" * 20})
    batch = hostile_items()
    result = desk.pipeline.ingest(source.id, batch)
    assert result.stored + result.quarantined == len(batch)
    with desk.engine.connect() as conn:
        rows = conn.execute(select(posts.c.external_id, posts.c.sentiment, posts.c.event_id)).all()
    assert len(rows) == result.stored >= 4
    assert all(r.sentiment is not None and r.event_id is not None for r in rows)


def test_the_worker_pool_gives_the_same_analysis(tmp_path: Path) -> None:
    """Large batches go to worker processes; the result must not depend on where it ran."""
    rows = weibo_rows(400)
    batch = [item(f"w{r['id']}", r["text"], i) for i, r in enumerate(rows)]

    def analyse(processes: int, name: str) -> dict[str, tuple[object, ...]]:
        desk = make_desk(f"sqlite:///{tmp_path}/{name}.db", analysis_processes=processes)
        with desk.engine.begin() as conn:
            add_scheme(conn, "强拆", subject_words=["强拆", "拆迁"])
            source = add_source(conn, "weibo", "push", {"token": "t" * 20})
        results = list(desk.pipeline.ingest_many(source.id, [SourceBatch(items=batch)], chunk=150))
        with desk.engine.connect() as conn:
            out = {
                r.external_id: (r.sentiment, r.is_repost, r.fingerprint, r.story_key, r.event_id)
                for r in conn.execute(select(posts))
            }
            out["stories"] = tuple(conn.execute(select(stories).order_by(stories.c.story_key)))
            out["events"] = tuple(
                conn.execute(
                    select(events.c.id, events.c.size, events.c.reposts).order_by(events.c.id)
                )
            )
            out["matches"] = (conn.execute(select(post_matches)).rowcount,)
            out["matched"] = tuple(sorted(conn.execute(select(post_matches.c.post_id)).scalars()))
        desk.close()
        assert sum(r.stored for r in results) == len(batch)
        return out

    assert analyse(2, "pool") == analyse(1, "inline")


def test_event_ids_stay_consistent_when_events_merge(desk: Desk) -> None:
    """Real crisis tweets make the clusterer merge events; stored posts must follow."""
    with (DATA / "events" / "en" / "crisislex_t26_dev.csv").open(encoding="utf-8") as handle:
        rows = [r for _, r in zip(range(1500), csv.DictReader(handle), strict=False)]
    with desk.engine.begin() as conn:
        source = add_source(conn, "crisis", "push", {"token": "t" * 20})
    batches = [rows[i : i + 100] for i in range(0, len(rows), 100)]
    for n, batch in enumerate(batches):
        desk.pipeline.ingest(source.id, [item(r["id"], r["text"], n) for r in batch])
    with desk.engine.connect() as conn:
        post_events = conn.execute(
            select(posts.c.event_id, func.count()).group_by(posts.c.event_id)
        ).all()
        stored = dict(conn.execute(select(events.c.id, events.c.size)).all())
    assert all(event_id in stored for event_id, _ in post_events)
    assert {e: n for e, n in post_events} == stored


def test_a_large_batch_through_ingest_uses_the_pool(tmp_path: Path) -> None:
    """A poll or push of 200+ items goes to the workers and adds up the chunks' results."""
    rows = weibo_rows(450)
    batch = [item(f"w{r['id']}", r["text"], i) for i, r in enumerate(rows)]
    desk = make_desk(f"sqlite:///{tmp_path}/big.db", analysis_processes=2)
    with desk.engine.begin() as conn:
        source = add_source(conn, "weibo", "push", {"token": "t" * 20})
    first = desk.pipeline.ingest(source.id, batch)
    again = desk.pipeline.ingest(source.id, batch)
    desk.close()
    assert (first.stored, first.duplicates) == (len(batch), 0)
    assert (again.stored, again.duplicates) == (0, len(batch))


def test_source_field_works_for_a_source_added_after_the_models_loaded(desk: Desk) -> None:
    with desk.engine.begin() as conn:
        scheme = add_scheme(conn, "from city", query="source:city-news AND flood*")
        old = add_source(conn, "old", "push", {"token": "t" * 20})
    desk.pipeline.ingest(old.id, [item("a", "Flooding downtown", 0)])  # loads the models
    with desk.engine.begin() as conn:
        city = add_source(conn, "city-news", "push", {"token": "t" * 20})
    desk.pipeline.ingest(city.id, [item("b", "Flooding downtown again", 1)])
    with desk.engine.connect() as conn:
        matched = conn.execute(
            select(posts.c.external_id)
            .join(post_matches, post_matches.c.post_id == posts.c.id)
            .where(post_matches.c.scheme_id == scheme.id)
        ).scalars()
        assert list(matched) == ["b"]


def test_workers_run_below_the_priority_of_the_process_that_owns_them(tmp_path: Path) -> None:
    """The owner (stateful stages, store, web server) must not wait behind its own workers."""
    import os

    from groundswell.analyze.workers import WORKER_NICENESS

    desk = make_desk(f"sqlite:///{tmp_path}/nice.db", analysis_processes=2)
    desk.pipeline.start_workers()
    pool = desk.pipeline._get_pool()
    try:
        started = len(pool._executor._processes)  # type: ignore[attr-defined]
        worker_niceness = pool._executor.submit(os.nice, 0).result(timeout=60)
    finally:
        desk.close()
    assert started == 2
    assert worker_niceness == os.nice(0) + WORKER_NICENESS


def pool_desk_with_posts(tmp_path: Path, n: int) -> tuple[Desk, int, list[RawItem]]:
    """A desk with workers and a writer, one source, and n real Weibo posts to import."""
    big = [item(f"w{r['id']}", r["text"], i) for i, r in enumerate(weibo_rows(n))]
    desk = make_desk(f"sqlite:///{tmp_path}/pool-{n}.db", analysis_processes=2)
    with desk.engine.begin() as conn:
        source = add_source(conn, "weibo", "push", {"token": "t" * 20})
    return desk, source.id, big


def test_a_small_push_during_a_large_import_waits_for_the_writer(tmp_path: Path) -> None:
    """The writer stores the import's chunks; a push between them must not overtake them."""
    desk, source_id, big = pool_desk_with_posts(tmp_path, 800)
    results = desk.pipeline.ingest_many(source_id, [SourceBatch(items=big)], chunk=100)
    first = next(results)  # later chunks are being analysed and stored meanwhile
    pushed = desk.pipeline.ingest(source_id, [big[-1], item("new", "一条新消息", 900)])
    rest = list(results)
    with desk.engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(posts)).scalar()
        story_posts = conn.execute(select(func.sum(stories.c.posts))).scalar()
    desk.close()
    assert stored == story_posts == len(big) + 1
    # The push saw the import's last chunk as in flight or stored, never as new.
    assert pushed.stored + sum(r.stored for r in [first, *rest]) == len(big) + 1
    assert pushed.stored in (1, 2)


def test_an_import_stopped_early_leaves_no_chunk_half_stored(tmp_path: Path) -> None:
    desk, source_id, big = pool_desk_with_posts(tmp_path, 600)
    results = desk.pipeline.ingest_many(source_id, [SourceBatch(items=big)], chunk=100)
    next(results)
    results.close()  # the caller stops: chunks already handed to the writer still commit
    with desk.engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(posts)).scalar()
    again = desk.pipeline.ingest(source_id, big)
    desk.close()
    assert stored % 100 == 0 and stored >= 100
    assert (again.stored, again.duplicates) == (len(big) - stored, stored)


def test_the_event_state_is_saved_by_the_writer_when_due(tmp_path: Path) -> None:
    from groundswell.store.analysis import load_state

    desk, source_id, big = pool_desk_with_posts(tmp_path, 400)
    desk.pipeline._state_saved_at = float("-inf")  # as if the last save was long ago
    list(desk.pipeline.ingest_many(source_id, [SourceBatch(items=big)], chunk=200))
    with desk.engine.connect() as conn:
        saved = load_state(conn, "events")
    desk.close()
    assert saved is not None and saved["documents"] > 0


def test_an_in_memory_database_is_analysed_in_one_process() -> None:
    """Workers and a writer would each open an empty in-memory database of their own."""
    desk = make_desk("sqlite://", analysis_processes=2)
    with desk.engine.begin() as conn:
        source = add_source(conn, "weibo", "push", {"token": "t" * 20})
    batch = [item(r["id"], r["text"], i) for i, r in enumerate(weibo_rows(300))]
    result = desk.pipeline.ingest(source.id, batch)
    assert desk.pipeline._pool is None and desk.pipeline._writer is None
    desk.close()
    assert result.stored == 300


def test_hostile_posts_cross_to_the_workers_and_the_writer_without_loss(tmp_path: Path) -> None:
    """The same odd posts as above, in a batch large enough for the pool and the writer."""
    desk, source_id, real = pool_desk_with_posts(tmp_path, 200)
    odd = hostile_items()
    result = desk.pipeline.ingest(source_id, [*real, *odd])
    with desk.engine.connect() as conn:
        rows = conn.execute(select(posts.c.external_id, posts.c.text, posts.c.event_id)).all()
    assert desk.pipeline._writer is not None  # it went through the writer
    limit = desk.settings.max_text_chars
    desk.close()
    assert result.stored + result.quarantined == len(real) + len(odd)
    assert len(rows) == result.stored >= len(real) + 4
    by_id = {r.external_id: r for r in rows}
    assert len(by_id["huge"].text) == limit  # cut to the configured size, not dropped
    assert "<script>" in by_id["mixed"].text  # stored as text; the pages escape it
    assert all(r.event_id is not None for r in rows)


def test_a_post_with_a_very_long_key_is_analysed_once(desk: Desk) -> None:
    """Keys over the store's limit are kept cut and hashed; re-polling must still find them."""
    with desk.engine.begin() as conn:
        source = add_source(conn, "long", "push", {"token": "t" * 20})
    long_url = "https://example.org/a?" + "x" * 900
    batch = [item("", ORIGINAL, 0, url=long_url), item("", f"转发 //@某网友:{ORIGINAL}", 1)]
    for post in batch:
        post.external_id = None  # keyed by URL, as a scraped page is
    batch[1].url = long_url + "-2"
    first = desk.pipeline.ingest(source.id, batch)
    again = desk.pipeline.ingest(source.id, batch)
    with desk.engine.connect() as conn:
        story_posts = conn.execute(select(func.sum(stories.c.posts))).scalar()
        event_size = conn.execute(select(func.sum(events.c.size))).scalar()
    assert (first.stored, again.stored, again.duplicates) == (2, 0, 2)
    assert story_posts == event_size == 2  # not 4: the second poll analysed nothing


def test_a_dead_analysis_worker_is_replaced(tmp_path: Path) -> None:
    """A worker killed (say, by the OOM killer) must not break every later import."""
    import os
    import signal
    import time

    desk, source_id, big = pool_desk_with_posts(tmp_path, 300)
    desk.pipeline.start_workers()
    pool = desk.pipeline._get_pool()
    os.kill(next(iter(pool._executor._processes)), signal.SIGKILL)  # type: ignore[attr-defined]
    deadline = time.monotonic() + 30
    while not pool.broken and time.monotonic() < deadline:
        time.sleep(0.05)
    result = desk.pipeline.ingest(source_id, big)
    replaced = desk.pipeline._pool is not pool
    desk.close()
    assert pool.broken and replaced
    assert result.stored == len(big)


def test_the_event_state_handed_to_the_store_is_a_snapshot(desk: Desk) -> None:
    """The writer pickles it later, while the next batch already changes the clusterer."""
    import json

    with desk.engine.begin() as conn:
        source = add_source(conn, "weibo", "push", {"token": "t" * 20})
    desk.pipeline.ingest(source.id, story_items()[:3])
    state = desk.pipeline._events_state_due(force=True)
    before = json.dumps(state, sort_keys=True)
    desk.pipeline.ingest(source.id, story_items()[3:])
    assert json.dumps(state, sort_keys=True) == before


def test_a_large_batch_after_close_raises_instead_of_starting_processes(tmp_path: Path) -> None:
    desk, source_id, big = pool_desk_with_posts(tmp_path, 250)
    desk.pipeline.ingest(source_id, big[:200])
    desk.close()
    with pytest.raises(RuntimeError, match="closed"):
        desk.pipeline.ingest(source_id, big)
    assert desk.pipeline._pool is None and desk.pipeline._writer is None
