"""Canonical repost text: what is stripped, what is kept, and bad input."""

from __future__ import annotations

import time

import opencc
import pytest

from groundswell.analyze.dedup.repost_text import (
    MAX_RAW_CHARS,
    canonical_form,
    canonical_text,
    canonical_tokens,
)


def test_chain_keeps_the_last_segment(weibo_posts: list[str], cascade_comments: list[str]) -> None:
    for post, comment in zip(weibo_posts[:10], cascade_comments, strict=False):
        one = f"{comment}//@某用户:{post}"
        two = f"{comment}//@甲: {comment[::-1]} //@乙：{post}"
        assert canonical_tokens(one) == canonical_tokens(post)
        assert canonical_tokens(two) == canonical_tokens(post)


def test_a_too_short_last_segment_keeps_the_whole_post() -> None:
    tokens = canonical_tokens("这个说法我完全同意//@某人:赞")
    assert tokens[:4] == ["这", "个", "说", "法"]
    assert "赞" in tokens


@pytest.mark.parametrize(
    "wrap",
    [
        "转发微博 {}",
        "【转发】{}",
        "轉發微博：{}",
        "{}（来源：新华社）",
        "{} 来源：人民日报",
        "{} via@某用户",
        "{} http://t.cn/A6abcdE",
        "@某用户 {}",
    ],
)
def test_markers_sources_urls_and_mentions_go(wrap: str, weibo_posts: list[str]) -> None:
    for post in weibo_posts[:10]:
        assert canonical_tokens(wrap.format(post)) == canonical_tokens(post)


@pytest.mark.parametrize(
    "wrap",
    [
        "RT @united: {}",
        "Repost: {}",
        "{} - Reuters",
        "{} via @bob",
        "{} VIA @Bob",
        "{} (SOURCE: AP)",
        "{} https://t.co/x1",
        "{} HTTPS://T.CO/X1",
        "{} WWW.Example.com/x",
    ],
)
def test_english_markers_and_sources_go(wrap: str, tweets: list[str]) -> None:
    for tweet in tweets[:10]:
        assert canonical_tokens(wrap.format(tweet)) == canonical_tokens(tweet)


def test_traditional_punctuation_and_width_fold_away(weibo_posts: list[str]) -> None:
    s2t = opencc.OpenCC("s2t")
    same = 0
    for post in weibo_posts:
        variant = s2t.convert(post).replace("，", ",").replace("。", "！！")
        same += canonical_tokens(variant) == canonical_tokens(post)
    # OpenCC's round trip is not exact for every character (e.g. 着/著).
    assert same >= 0.9 * len(weibo_posts)


def test_hashtag_signs_go_and_their_words_stay() -> None:
    assert canonical_text("#武汉加油# 大家好") == canonical_text("武汉加油 大家好")
    assert canonical_text("#Oscars tonight") == "oscars tonight"


def test_a_long_dash_tail_is_text_not_a_source() -> None:
    tokens = canonical_tokens("@VirginAmerica LAX to EWR - Middle seat on a red eye")
    assert tokens[-3:] == ["a", "red", "eye"]


def test_tokens_are_characters_for_han_and_words_otherwise() -> None:
    assert canonical_tokens("Ｈｅｌｌｏ,  World! 你好") == ["hello", "world", "你", "好"]


def test_ellipsis_marks_a_cut_copy_and_is_dropped() -> None:
    tokens, cut = canonical_form("Just sad that even after spending so much… more")
    assert cut and tokens[-1] == "much"
    tokens, cut = canonical_form("武汉加油，全国人民都要加油...全文")
    assert cut and tokens[-1] == "油"
    assert not canonical_form("No ellipsis here")[1]


def test_title_is_prefixed_once() -> None:
    body = "Markets fell sharply on Monday as oil prices rose."
    assert canonical_text(body, "Markets fall") == canonical_text("Markets fall\n" + body)
    assert canonical_text("Markets fall. " + body, "Markets fall").count("markets") == 2


@pytest.mark.parametrize("text", ["", "   ", "😀😀😀", "[吃惊][伤心]", "转发微博。", "//@a://@b:"])
def test_nothing_of_substance_gives_no_tokens(text: str) -> None:
    assert canonical_tokens(text) == []


def test_a_huge_post_is_bounded() -> None:
    huge = "舆情监测 monitoring 系统 " * 60_000  # ~1.2 MB
    start = time.perf_counter()
    tokens = canonical_tokens(huge)
    assert time.perf_counter() - start < 2.0
    assert 0 < len(tokens) <= MAX_RAW_CHARS
