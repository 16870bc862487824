"""The clusterer's inverted index mirrors its centroids through joins, merges, prunes and closes.

The index holds each term's centroid weight per event (a copy, for speed), so a
copy that went stale would silently change which events a post is compared with.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from groundswell.analyze.events import EventClusterer, EventConfig, EventItem
from groundswell.evaluate.events import load_labelled_posts

DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "events"


def _items(limit: int) -> list[EventItem]:
    posts = load_labelled_posts(DATA / "en" / "crisislex_t26_dev.csv")[:limit]
    return [EventItem(key=p.key, text=p.text, time=p.time) for p in posts]


def _expected_postings(clusterer: EventClusterer) -> dict[str, dict[str, float]]:
    expected: dict[str, dict[str, float]] = {}
    for event_id, cluster in clusterer._active.items():
        for term, weight in cluster.centroid.items():
            expected.setdefault(term, {})[event_id] = weight
    return expected


def test_postings_equal_the_centroids_after_merges_prunes_and_closes() -> None:
    # Small caps so that centroids are pruned and events closed within a few hundred posts;
    # a low merge threshold so that events merge.
    config = EventConfig(max_centroid_terms=8, max_active=40, merge_threshold=0.01)
    clusterer = EventClusterer(config)
    clusterer.add(_items(600))
    assert clusterer.take_merges(), "no merge happened: the test would not cover merging"
    assert clusterer._postings == _expected_postings(clusterer)


def test_postings_survive_a_state_round_trip_and_bad_input() -> None:
    clusterer = EventClusterer(EventConfig(max_centroid_terms=8))
    start = datetime(2013, 1, 1, tzinfo=UTC)
    odd = ["", "🙂🙂", "x" * 1_000_000, "北京 flood 洪水 rescue 救援"]
    clusterer.add(_items(200))
    clusterer.add([EventItem(f"odd-{i}", t, start + timedelta(hours=i)) for i, t in enumerate(odd)])
    restored = EventClusterer.from_state(clusterer.to_state())
    assert restored._postings == clusterer._postings == _expected_postings(clusterer)
    more = _items(260)[200:]
    assert restored.add(more) == clusterer.add(more)
    assert restored._postings == _expected_postings(restored)
