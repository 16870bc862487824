"""Feature extraction: the same features for the same meaning, bounded cost for any input."""

from __future__ import annotations

from groundswell.analyze.sentiment.features import MAX_CHARS, en_features, en_words, zh_features


def test_weibo_emoji_codes_are_single_tokens() -> None:
    feats = zh_features("今天好开心[哈哈][哈哈]")
    assert feats.count("e[哈哈]") == 2
    assert "开心" in feats


def test_traditional_and_simplified_give_the_same_features() -> None:
    assert zh_features("這個服務態度真差") == zh_features("这个服务态度真差")


def test_links_and_mentions_are_placeholders() -> None:
    a = zh_features("转发 @张三: 好消息 http://t.cn/abc")
    b = zh_features("转发 @李四: 好消息 http://t.cn/xyz")
    assert a == b


def test_negation_scope_marks_following_words_until_punctuation() -> None:
    words = en_words("This is not good at all. Great service!")
    assert "n:good" in words
    assert "good" not in words
    assert "great" in words  # scope ended at the full stop


def test_elongation_and_case_are_normalised() -> None:
    assert "soo" in en_words("SOOOOO happy")
    assert en_features("Sooooo happy") == en_features("sooo happy")


def test_huge_and_empty_posts() -> None:
    huge = "好" * 1_000_000
    assert len(zh_features(huge)) <= 3 * MAX_CHARS
    assert len(en_features("word " * 200_000)) < 20 * MAX_CHARS
    assert zh_features("") == []
    assert en_features("   ") == []
    assert en_features("😂😂") != []
