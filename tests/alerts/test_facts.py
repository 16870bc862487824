"""The scan over stored posts: a post committed late, below the watermark, is still judged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from groundswell.alerts.facts import GAP_PATIENCE, ScanState, new_post_ids
from groundswell.context import Desk
from groundswell.store.sources import add_source
from groundswell.store.tables import posts

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def store(desk: Desk, source_id: int, post_id: int) -> None:
    with desk.engine.begin() as conn:
        conn.execute(
            insert(posts).values(
                id=post_id,
                source_id=source_id,
                dedup_key=f"k{post_id}",
                title="",
                text="t",
                lang="zh",
                tokens="t",
                collected_at=NOW,
                sort_at=NOW,
                engagement={},
                raw={},
                content_hash=f"h{post_id}",
            )
        )


def test_ids_skipped_below_the_watermark_are_looked_for_again(desk: Desk) -> None:
    with desk.engine.begin() as conn:
        source_id = add_source(conn, "s", "push", {"token": "t" * 32}).id
    for post_id in (1, 2, 4, 5):
        store(desk, source_id, post_id)
    with desk.engine.connect() as conn:
        ids, state = new_post_ids(conn, ScanState(), NOW, 100)
    assert ids == [1, 2, 4, 5] and state.watermark == 5 and set(state.gaps) == {3}

    store(desk, source_id, 3)  # the late commit
    with desk.engine.connect() as conn:
        ids, state = new_post_ids(conn, state, NOW + timedelta(seconds=1), 100)
    assert ids == [3] and state.gaps == {} and state.watermark == 5

    with desk.engine.connect() as conn:
        ids, state = new_post_ids(conn, state, NOW + timedelta(seconds=2), 100)
    assert ids == []


def test_a_gap_that_never_fills_is_given_up_after_a_while(desk: Desk) -> None:
    with desk.engine.begin() as conn:
        source_id = add_source(conn, "s", "push", {"token": "t" * 32}).id
    for post_id in (1, 3):
        store(desk, source_id, post_id)
    with desk.engine.connect() as conn:
        _, state = new_post_ids(conn, ScanState(), NOW, 100)
        assert set(state.gaps) == {2}
        _, state = new_post_ids(conn, state, NOW + GAP_PATIENCE + timedelta(seconds=1), 100)
    assert state.gaps == {}
    assert ScanState.from_json(state.to_json()) == state


def test_the_scan_takes_at_most_limit_posts_a_pass(desk: Desk) -> None:
    with desk.engine.begin() as conn:
        source_id = add_source(conn, "s", "push", {"token": "t" * 32}).id
    for post_id in range(1, 8):
        store(desk, source_id, post_id)
    with desk.engine.connect() as conn:
        first, state = new_post_ids(conn, ScanState(), NOW, 5)
        second, state = new_post_ids(conn, state, NOW, 5)
    assert first == [1, 2, 3, 4, 5] and second == [6, 7]
