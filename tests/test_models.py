"""Domain records cross process boundaries (analysis workers, the writer) by pickle."""

from __future__ import annotations

import dataclasses
import pickle
from datetime import UTC, datetime, timedelta, timezone

import pytest

from groundswell.analyze.events.summary import EventSummary
from groundswell.models import Post, RawItem, SchemeHit, pickled_by_fields

WHEN = datetime(2026, 7, 24, 8, 30, 1, 250, tzinfo=UTC)


def _records() -> list[object]:
    post = Post(
        source_id=3,
        dedup_key="id:42",
        external_id="42",
        url="https://example.org/a?b=<c>",
        canonical_url="https://example.org/a",
        title="标题 <script>",
        text="正文 text\u0000 with 😂 and a lone \ud800 surrogate",
        lang="zh",
        tokens="正文 text",
        author_key="k:abc",
        published_at=WHEN.astimezone(timezone(timedelta(hours=8))),
        collected_at=WHEN,
        engagement={"likes": 3},
        raw={"nested": [1, {"x": None}], "text": "正文"},
        content_hash="h",
        sentiment="negative",
        sentiment_confidence=0.75,
        matches=[SchemeHit(1, ("正文",)), SchemeHit(2, ())],
        fingerprint=b"\x01\x00\xff",
        story_key="3:id:41",
        is_repost=True,
        event_id="ev-1",
        event_terms={"正文": 1.0},
        story_index_keys=b"\x00\x01\x02\x03",
    )
    item = RawItem(raw={"a": 1}, external_id="x", text=None, published_at=None)
    summary = EventSummary(
        "ev-1", "title", ["a", "b"], WHEN, None, 3, {"negative": 2}, {"1": 3}, "k", 0.5
    )
    return [post, item, SchemeHit(7, ("a", "b")), summary]


@pytest.mark.parametrize("record", _records(), ids=lambda r: type(r).__name__)
def test_records_pickle_to_equal_copies(record: object) -> None:
    copy = pickle.loads(pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL))
    assert type(copy) is type(record)
    assert copy == record
    # Field by field too, as equality could be overridden: same values, same types.
    for field in dataclasses.fields(record):  # type: ignore[arg-type]
        original, copied = getattr(record, field.name), getattr(copy, field.name)
        assert copied == original and type(copied) is type(original), field.name


def test_records_pickle_as_a_call_with_their_field_values() -> None:
    """The reason for the decorator: no per-slot state dict, no Python-level __getstate__."""
    hit = SchemeHit(7, ("a",))
    assert hit.__reduce__() == (SchemeHit, (7, ("a",)))


def test_a_one_field_dataclass_pickles_too() -> None:
    copy = pickle.loads(pickle.dumps(_One(5)))
    assert copy == _One(5)


@pickled_by_fields
@dataclasses.dataclass(frozen=True, slots=True)
class _One:
    value: int
