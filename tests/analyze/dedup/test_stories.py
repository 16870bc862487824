"""StoryIndex: reposts merge, paraphrases and short quotes do not, and the index behaves."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import opencc
import pytest

from groundswell.analyze.dedup import StoryIndex, StoryItem, fingerprint

T0 = datetime(2026, 7, 24, 8, 0, tzinfo=UTC)
_S2T = opencc.OpenCC("s2t")


def _at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def _truncate(text: str, share: float) -> str:
    return text[: int(len(text) * share)] + "…"


TRANSFORMS: dict[str, Callable[[str, str], str]] = {
    "commentary": lambda text, comment: f"{comment} {text}",
    "chain": lambda text, comment: f"{comment}//@路人甲:{comment[::-1]}//@路人乙:{text}",
    "marker": lambda text, comment: f"转发微博：{text}",
    "truncate_50": lambda text, comment: _truncate(text, 0.5),
    "truncate_90": lambda text, comment: _truncate(text, 0.9),
    "source": lambda text, comment: f"{text}（来源：新华社）http://t.cn/A6x9",
    "punctuation": lambda text, comment: text.replace("，", ",").replace("。", "!!") + "😂",
    "traditional": lambda text, comment: _S2T.convert(text),
    "combined": lambda text, comment: f"{comment}//@某人:{_S2T.convert(_truncate(text, 0.7))}",
}


@pytest.mark.parametrize("kind", sorted(TRANSFORMS))
def test_each_transformation_merges_chinese(
    kind: str, weibo_posts: list[str], cascade_comments: list[str]
) -> None:
    merged = 0
    for post, comment in zip(weibo_posts[:20], cascade_comments, strict=False):
        index = StoryIndex()
        original, copy = index.assign(
            [StoryItem("o", post, _at(0)), StoryItem("c", TRANSFORMS[kind](post, comment), _at(5))]
        )
        merged += copy.story_key == original.story_key and copy.is_duplicate
    assert merged >= 19, f"{kind}: {merged}/20 merged"


@pytest.mark.parametrize(
    "make",
    [
        lambda t, c: f"{c}: {t}",
        lambda t, c: f"RT @united: {t}",
        lambda t, c: _truncate(t, 0.6),
        lambda t, c: f"{t} - Reuters",
        lambda t, c: t.replace(",", "").replace(".", "!").upper(),
    ],
)
def test_english_copies_merge(make: Callable[[str, str], str], tweets: list[str]) -> None:
    comments = tweets[20:40]
    merged = 0
    for tweet, comment in zip(tweets[:20], comments, strict=True):
        index = StoryIndex()
        first, second = index.assign(
            [StoryItem("o", tweet, _at(0)), StoryItem("c", make(tweet, comment), _at(1))]
        )
        merged += first.story_key == second.story_key
    assert merged >= 19


def test_paraphrases_do_not_merge(paraphrase_pairs: list[tuple[str, str]]) -> None:
    index = StoryIndex()
    items = [
        StoryItem(f"{i}{side}", text, _at(i))
        for i, pair in enumerate(paraphrase_pairs)
        for side, text in zip("ab", pair, strict=True)
    ]
    stories = {result.key: result.story_key for result in index.assign(items)}
    merged = sum(stories[f"{i}a"] == stories[f"{i}b"] for i in range(len(paraphrase_pairs)))
    assert len(paraphrase_pairs) >= 100
    # Pairs that differ only by a particle at one end ("...怎么样" / "...怎么样啊") are
    # textually copies and do merge (~9 % of these); reordered ones must not.
    assert merged <= 0.12 * len(paraphrase_pairs)


def test_a_short_post_does_not_merge_with_posts_that_quote_it(weibo_posts: list[str]) -> None:
    snippet = "武汉加油啊"
    index = StoryIndex()
    items = [StoryItem("short", snippet, _at(0))] + [
        StoryItem(f"p{i}", f"{post}{snippet}", _at(i + 1)) for i, post in enumerate(weibo_posts)
    ]
    results = index.assign(items)
    assert len({result.story_key for result in results}) == len(items)


def test_a_comment_is_not_the_post_it_was_put_in_front_of(
    weibo_posts: list[str], cascade_comments: list[str]
) -> None:
    index = StoryIndex()
    comment = max(cascade_comments, key=len)
    results = index.assign(
        [
            StoryItem("comment", comment, _at(0)),
            StoryItem("repost", f"{comment} {weibo_posts[0]}", _at(1)),
        ]
    )
    assert results[0].story_key != results[1].story_key


def test_batch_items_merge_and_count(weibo_posts: list[str]) -> None:
    post = weibo_posts[0]
    index = StoryIndex()
    results = index.assign(
        [StoryItem(str(i), f"转发微博 {post}" if i else post, _at(i)) for i in range(4)]
    )
    assert {result.story_key for result in results} == {"0"}
    assert [result.is_duplicate for result in results] == [False, True, True, True]
    assert index.repost_count("0") == 3


def test_assigning_again_is_idempotent(weibo_posts: list[str]) -> None:
    index = StoryIndex()
    items = [StoryItem("a", weibo_posts[1], _at(0)), StoryItem("b", weibo_posts[1] + "！", _at(1))]
    first = index.assign(items)
    again = index.assign(list(reversed(items)))
    assert first == list(reversed(again))
    assert index.repost_count("a") == 1


def test_the_original_is_the_earliest_even_when_it_arrives_last(weibo_posts: list[str]) -> None:
    post = weibo_posts[2]
    index = StoryIndex()
    index.assign([StoryItem("repost", f"说得好//@某人:{post}", _at(30))])
    index.assign([StoryItem("cut", _truncate(post, 0.7), _at(20))])
    late = index.assign([StoryItem("original", post, _at(0))])[0]
    assert late.story_key == "repost"
    assert late.original_key == "original"
    assert index.assign([StoryItem("repost", "", None)])[0].original_key == "original"


def test_stories_older_than_the_window_are_evicted(weibo_posts: list[str]) -> None:
    index = StoryIndex(window=timedelta(days=1))
    index.assign([StoryItem("old", weibo_posts[3], _at(0))])
    index.assign([StoryItem("new", weibo_posts[4], _at(60 * 25))])
    assert index.repost_count("old") == 0 and len(index) == 1
    again = index.assign([StoryItem("copy", weibo_posts[3], _at(60 * 25 + 1))])[0]
    assert again.story_key == "copy" and not again.is_duplicate


def test_an_active_story_is_kept(weibo_posts: list[str]) -> None:
    index = StoryIndex(window=timedelta(days=1))
    post = weibo_posts[5]
    for hour in range(0, 48, 12):
        index.assign([StoryItem(f"h{hour}", f"第{hour}小时转发：{post}", _at(60 * hour))])
    assert index.repost_count("h0") == 3


def test_restore_rebuilds_the_same_index(
    weibo_posts: list[str], tweets: list[str], cascade_comments: list[str]
) -> None:
    texts = [*weibo_posts[:15], *tweets[:15]]
    copies = [f"{c}//@x:{t}" for t, c in zip(texts, cascade_comments, strict=False)]
    first_half = [StoryItem(f"k{i}", text, _at(i)) for i, text in enumerate(texts + copies[:10])]
    second_half = [StoryItem(f"n{i}", text, _at(100 + i)) for i, text in enumerate(copies[10:])]
    live = StoryIndex()
    stored = [
        (item, result) for item, result in zip(first_half, live.assign(first_half), strict=True)
    ]
    rebuilt = StoryIndex()
    for item, result in stored:
        restored = rebuilt.restore(item.key, fingerprint(item.text), item.time, result.story_key)
        assert restored == result
    assert rebuilt.assign(second_half) == live.assign(second_half)


@pytest.mark.parametrize(
    "text",
    ["", "😀😀😀", "转发微博", "[吃惊]", "哈", "混合 mixed 文本 text 没有 duplicates 在这里"],
)
def test_bad_or_tiny_inputs_found_their_own_story(text: str) -> None:
    index = StoryIndex()
    results = index.assign([StoryItem("a", text, None), StoryItem("b", text, None)])
    if len(text) < 10:
        assert results[1].story_key == "b"  # nothing to compare: no merge
    else:
        assert results[1].story_key == "a"  # an exact copy of a real mixed text
    assert all(result.original_key in {"a", "b"} for result in results)


def test_naive_and_aware_times_mix_and_a_huge_post_is_fine(tweets: list[str]) -> None:
    huge = " ".join(tweets) * 300  # ~1 MB, not periodic within the fingerprinted head
    index = StoryIndex()
    results = index.assign(
        [
            StoryItem("huge", huge, datetime(2026, 7, 24, 9)),
            StoryItem("copy", "RT @x: " + huge[:500_000], _at(0)),
            StoryItem("title", "", None, title=tweets[1]),
        ]
    )
    assert results[1].story_key == "huge" and results[1].original_key == "copy"
    assert results[2].story_key == "title"


def test_restore_rejects_a_bad_fingerprint() -> None:
    with pytest.raises(ValueError):
        StoryIndex().restore("k", b"not a fingerprint", T0, "k")


def test_restore_into_a_story_of_an_empty_post_does_not_fail(weibo_posts: list[str]) -> None:
    index = StoryIndex()
    index.restore("empty", fingerprint("转发微博"), T0, "empty")
    result = index.restore("other", fingerprint(weibo_posts[0]), _at(1), "empty")
    assert result.story_key == "empty" and result.is_duplicate
    assert index.repost_count("empty") == 1


def test_index_keys_computed_elsewhere_build_the_same_index(
    weibo_posts: list[str], cascade_comments: list[str]
) -> None:
    """The pipeline computes index keys in its workers; the index must not depend on it."""
    from groundswell.analyze.dedup.fingerprint import decode_fingerprint
    from groundswell.analyze.dedup.stories import index_keys

    reposts = zip(cascade_comments, weibo_posts, strict=False)
    texts = [*weibo_posts[:20], *(f"{comment} //@某人:{post}" for comment, post in reposts)]
    prints = [fingerprint(text) for text in texts]

    def build(with_keys: bool) -> tuple[list[tuple[str, bool]], dict[int, object]]:
        index = StoryIndex()
        items = [
            StoryItem(
                key=f"p{i}",
                text=text,
                time=_at(i),
                fingerprint=fp,
                index_keys=index_keys(decode_fingerprint(fp)) if with_keys else None,
            )
            for i, (text, fp) in enumerate(zip(texts, prints, strict=True))
        ]
        found = [(a.story_key, a.is_duplicate) for a in index.assign(items)]
        return found, dict(index._postings)

    given, computed = build(True), build(False)
    assert given == computed
    assert sum(duplicate for _, duplicate in given[0]) >= 20


@pytest.mark.parametrize("size", [5, 47, 48, 300])
def test_first_positions_finds_each_shingles_first_index(size: int) -> None:
    """Both lookups (dict below 48 shingles, sorted search above) give the first index."""
    import numpy as np

    from groundswell.analyze.dedup.similarity import first_positions

    rng = np.random.default_rng(size)
    long = rng.integers(0, 40, size, dtype=np.uint32)  # small alphabet: many repeats
    short = rng.integers(0, 60, 30, dtype=np.uint32)
    expected = [int(np.flatnonzero(long == v)[0]) if (long == v).any() else -1 for v in short]
    assert first_positions(short, long) == expected


def test_anchors_are_the_minimum_of_every_window() -> None:
    import numpy as np

    from groundswell.analyze.dedup.similarity import anchors

    rng = np.random.default_rng(3)
    for size in (1, 7, 8, 9, 30, 512):
        shingles = rng.integers(0, 60, size, dtype=np.uint32)
        windows = [shingles[i : i + 8] for i in range(size - 7)]
        # A text no longer than one window is indexed under all its shingles.
        expected = sorted({int(w.min()) for w in windows} if size > 8 else set(shingles.tolist()))
        assert anchors(shingles, 8).tolist() == expected


def test_the_bitmap_bound_never_rules_out_a_pair_that_merges(
    weibo_posts: list[str],
    tweets: list[str],
    cascade_comments: list[str],
    paraphrase_pairs: list[tuple[str, str]],
) -> None:
    """`may_reach_threshold` is a pure speed-up: every pair at or above the threshold passes it.

    Pairs: each transformation of real posts (both argument orders), paraphrases,
    and unrelated posts; the bound must also rule out most unrelated pairs, or it
    saves nothing.
    """
    from groundswell.analyze.dedup.fingerprint import fingerprint_of
    from groundswell.analyze.dedup.similarity import (
        MatchRules,
        contained_similarity,
        may_reach_threshold,
    )

    rules = MatchRules()
    pairs = [
        (make(text, comment), text)
        for make in TRANSFORMS.values()
        for text, comment in zip(weibo_posts, cascade_comments, strict=False)
    ]
    pairs += [(f"so true {text}", text) for text in tweets]
    pairs += paraphrase_pairs[:200]
    unrelated = [(a, b) for a, b in zip(weibo_posts, weibo_posts[1:] + tweets[:1], strict=True)]
    reached = ruled_out = 0
    for first, second in pairs + unrelated:
        a, b = fingerprint_of(first), fingerprint_of(second)
        for x, y in ((a, b), (b, a)):
            if contained_similarity(x, y, rules) >= rules.threshold:
                reached += 1
                assert may_reach_threshold(x, y, rules), (first, second)
    for first, second in unrelated:
        ruled_out += not may_reach_threshold(fingerprint_of(first), fingerprint_of(second), rules)
    assert reached >= 300
    assert ruled_out >= 0.9 * len(unrelated)


def test_the_bitmap_holds_every_shingle() -> None:
    import numpy as np

    from groundswell.analyze.dedup.fingerprint import Fingerprint

    rng = np.random.default_rng(5)
    shingles = rng.integers(0, 2**32, 512, dtype=np.uint64).astype(np.uint32)
    value = Fingerprint(514, 1, shingles)
    other = Fingerprint(300, 2, np.concatenate([shingles[:200], shingles[:98]]))
    assert other.shingles_maybe_in(value) == 298  # every one, repeats counted
    empty = Fingerprint(0, 3, np.zeros(0, dtype=np.uint32))
    assert empty.shingles_maybe_in(value) == 0
    assert value.shingles_maybe_in(empty) == 0
