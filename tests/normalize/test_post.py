"""Normaliser: RawItems to Posts or Rejected, pure, idempotent, never stopping a batch."""

from __future__ import annotations

import copy
import csv
import dataclasses
import hashlib
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from groundswell.errors import ConfigError
from groundswell.models import Post, RawItem
from groundswell.normalize.post import Normaliser
from groundswell.normalize.pseudonym import pseudonymise

DATA = Path("../shared/data")
KEY = b"test-pseudonym-key"
NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def normaliser() -> Normaliser:
    return Normaliser(KEY)


def one(normaliser: Normaliser, item: RawItem, source_id: int | None = 7) -> Post:
    posts, rejected = normaliser.normalise([item], source_id, NOW)
    assert not rejected, rejected
    return posts[0]


def test_maps_every_field(normaliser: Normaliser) -> None:
    raw = {"guid": "x", "author": "Alice"}
    item = RawItem(
        raw=raw,
        url="https://m.example.com/news/1/?utm_source=feed",
        title="  Flight   delayed ",
        text="<p>We waited &amp; waited.</p><script>track()</script><p>Third hour now</p>",
        is_html=True,
        author="Alice",
        published_at=datetime(2024, 4, 30, 20, 0, tzinfo=timezone(timedelta(hours=8))),
        engagement={"likes": 3, "shares": 0},
    )
    post = one(normaliser, item)
    assert post.source_id == 7
    assert post.title == "Flight delayed"
    assert post.text == "We waited & waited.\nThird hour now"
    assert post.url == "https://m.example.com/news/1/?utm_source=feed"
    assert post.canonical_url == "https://example.com/news/1"
    assert post.dedup_key == "url:https://example.com/news/1"
    assert post.external_id is None
    assert post.lang == "en"
    assert post.tokens == "flight delayed we waited waited third hour now"
    assert post.author_key == pseudonymise("alice", KEY)
    assert post.published_at == datetime(2024, 4, 30, 12, 0, tzinfo=UTC)
    assert post.collected_at == NOW
    assert post.engagement == {"likes": 3, "shares": 0}
    assert post.raw == {"guid": "x", "author": f"author:{post.author_key}"}  # name scrubbed
    expected = hashlib.sha1(b"flight delayed we waited & waited. third hour now").hexdigest()
    assert post.content_hash == expected


def test_chinese_post(normaliser: Normaliser) -> None:
    post = one(
        normaliser,
        RawItem(raw={}, external_id=" 4890 ", text="武汉今天的天气真好，大家出去走走吧！"),
    )
    assert post.lang == "zh"
    assert post.dedup_key == "id:4890"
    assert {"武汉", "今天", "天气"} <= set(post.tokens.split())


def test_text_is_not_parsed_as_html_unless_flagged(normaliser: Normaliser) -> None:
    assert one(normaliser, RawItem(raw={}, text="a <b>c</b>")).text == "a <b>c</b>"


@pytest.mark.parametrize(
    "item",
    [
        RawItem(raw={"n": 1}),
        RawItem(raw={"n": 2}, title="  ", text="\u200b\n\t"),
        RawItem(raw={"n": 3}, text="<script>only()</script><style>x{}</style>", is_html=True),
    ],
)
def test_empty_items_are_rejected_with_their_raw(normaliser: Normaliser, item: RawItem) -> None:
    posts, rejected = normaliser.normalise([item], 3, NOW)
    assert posts == []
    assert [(r.reason, r.raw, r.source_id) for r in rejected] == [
        ("empty: no title or text", item.raw, 3)
    ]


def test_title_only_uses_title_as_text_once(normaliser: Normaliser) -> None:
    post = one(normaliser, RawItem(raw={}, title="Breaking news today"))
    assert post.text == "Breaking news today"
    assert post.tokens == "breaking news today"


def test_titles_are_one_line(normaliser: Normaliser) -> None:
    assert one(normaliser, RawItem(raw={}, title="a\nb", text="t")).title == "a b"


def test_unusable_url_without_id_is_rejected_naming_the_url(normaliser: Normaliser) -> None:
    posts, rejected = normaliser.normalise([RawItem(raw={}, url="ftp://x.org/f", text="t")], 1)
    assert posts == []
    assert "ftp://x.org/f" in rejected[0].reason


def test_unusable_url_with_id_keeps_the_post(normaliser: Normaliser) -> None:
    post = one(normaliser, RawItem(raw={}, external_id="9", url="javascript:void(0)", text="t"))
    assert (post.url, post.canonical_url, post.dedup_key) == ("javascript:void(0)", None, "id:9")


def test_dedup_key_falls_back_to_content_hash(normaliser: Normaliser) -> None:
    a = one(normaliser, RawItem(raw={}, title="Same  Story", text="Body text."))
    b = one(normaliser, RawItem(raw={}, title="same story", text="  BODY\n text. "))
    assert a.dedup_key == b.dedup_key == f"hash:{a.content_hash}"
    c = one(normaliser, RawItem(raw={}, title="same story", text="other body"))
    assert c.dedup_key != a.dedup_key


def test_long_text_is_truncated_not_rejected() -> None:
    normaliser = Normaliser(KEY, max_text_chars=10)
    raw = {"text": "x" * 50}
    post = one(normaliser, RawItem(raw=raw, text="abcdefghijklmnop" * 3))
    assert post.text == "abcdefghij"
    assert raw == {"text": "x" * 50}


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (datetime(2024, 1, 1, 8, 0), datetime(2024, 1, 1, 8, 0, tzinfo=UTC)),
        (
            datetime(2024, 1, 1, 8, 0, tzinfo=timezone(timedelta(hours=8))),
            datetime(2024, 1, 1, 0, 0, tzinfo=UTC),
        ),
        (datetime(2999, 1, 1, tzinfo=UTC), datetime(2999, 1, 1, tzinfo=UTC)),
        (None, None),
    ],
)
def test_published_at_is_utc(
    normaliser: Normaliser, given: datetime | None, expected: datetime | None
) -> None:
    post = one(normaliser, RawItem(raw={}, text="t", published_at=given))
    assert post.published_at == expected
    if expected is not None:
        assert post.published_at is not None and post.published_at.utcoffset() == timedelta(0)


def test_engagement_keeps_only_non_negative_ints_under_str_keys(normaliser: Normaliser) -> None:
    engagement = {"likes": 5, "shares": 0, "neg": -1, "flag": True, "f": 1.5, "s": "3", 1: 2}
    post = one(normaliser, RawItem(raw={}, text="t", engagement=engagement))  # type: ignore[arg-type]
    assert post.engagement == {"likes": 5, "shares": 0}


def test_a_failing_item_is_rejected_and_the_batch_goes_on(normaliser: Normaliser) -> None:
    items = [
        RawItem(raw={"i": 0}, text="fine"),
        RawItem(raw={"i": 1}, text="bad date", published_at="2024-01-01"),  # type: ignore[arg-type]
        RawItem(raw={"i": 2}, title=123, text="bad title"),  # type: ignore[arg-type]
        "not an item",  # type: ignore[list-item]
        RawItem(raw={"i": 4}, text="fine too"),
    ]
    posts, rejected = normaliser.normalise(items, 1, NOW)  # type: ignore[arg-type]
    assert [p.text for p in posts] == ["fine", "fine too"]
    assert [r.reason.split(":")[0] for r in rejected] == ["normalise failed"] * 3
    assert rejected[0].reason == "normalise failed: TypeError: expected a datetime, got str"
    assert rejected[0].raw == {"i": 1}
    assert "not an item" in rejected[2].raw["unreadable_item"]


def test_pure_and_idempotent(normaliser: Normaliser) -> None:
    items = [
        RawItem(raw={"a": [1]}, url="https://example.com/a?b=1", text="<b>x</b>", is_html=True),
        RawItem(raw={}, title="t", author="Bob", engagement={"likes": 1}),
    ]
    before = copy.deepcopy(items)
    first = normaliser.normalise(items, 1, NOW)
    second = normaliser.normalise(items, 1, NOW)
    assert first == second
    assert items == before


def test_collected_at_defaults_to_now_utc(normaliser: Normaliser) -> None:
    posts, _ = normaliser.normalise([RawItem(raw={}, text="t")], None)
    assert posts[0].collected_at.tzinfo is not None
    assert abs(posts[0].collected_at - datetime.now(UTC)) < timedelta(minutes=1)


def test_source_id_falls_back_to_the_item(normaliser: Normaliser) -> None:
    posts, _ = normaliser.normalise([RawItem(raw={}, text="t", source_id=42)], None, NOW)
    assert posts[0].source_id == 42


def test_author_is_never_stored_outside_raw(normaliser: Normaliser) -> None:
    post = one(normaliser, RawItem(raw={}, text="hello there", author="Very Unique Name"))
    fields = dataclasses.asdict(post)
    fields.pop("raw")
    assert "unique" not in repr(fields).lower()


def test_empty_key_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        Normaliser(b"")


def test_real_posts_normalise_with_the_right_language(normaliser: Normaliser) -> None:
    def rows(path: Path, n: int) -> list[str]:
        with path.open(encoding="utf-8", newline="") as handle:
            return [row["text"] for row, _ in zip(csv.DictReader(handle), range(n), strict=False)]

    cases = {
        "zh": rows(DATA / "sentiment/zh/weibo_smp2020_usual_eval.csv", 1000),
        "en": rows(DATA / "sentiment/en/us_airline_tweets.csv", 1000),
    }
    for lang, texts in cases.items():
        items = [RawItem(raw={"text": t}, external_id=str(i), text=t) for i, t in enumerate(texts)]
        posts, rejected = normaliser.normalise(items, 1, NOW)
        assert len(posts) + len(rejected) == len(items)
        assert len(rejected) <= 5, rejected[:5]
        assert sum(p.lang == lang for p in posts) / len(posts) >= 0.97
        assert all(p.tokens for p in posts)
