"""Index and query tokens: normalisation, Chinese segmentation, and FTS safety."""

from __future__ import annotations

import csv
import re
import time
from pathlib import Path

import jieba
import pytest
import rjieba

from groundswell.analyze import tokenize
from groundswell.analyze.tokenize import index_tokens, query_tokens, warm_up

DATA = Path("../shared/data")
SAFE_TOKEN = re.compile(r"[^\W_]+")


@pytest.fixture(scope="module", autouse=True)
def _jieba_loaded() -> None:
    warm_up()


def _weibo(step: int) -> list[str]:
    texts: list[str] = []
    for path in sorted((DATA / "sentiment/zh").glob("weibo_smp2020_*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            texts.extend(row["text"] for row in csv.DictReader(handle))
    assert len(texts) > 10_000
    return texts[::step]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello, World!", ["hello", "world"]),
        ("Don't stop—won’t stop", ["dont", "stop", "wont", "stop"]),
        ("Ｆｕｌｌ　ｗｉｄｔｈ １２３", ["full", "width", "123"]),
        ("Café Crème in Zürich", ["café", "crème", "in", "zürich"]),
        ("snake_case a.b c-d 3.5%", ["snake", "case", "a", "b", "c", "d", "3", "5"]),
        ("flights flight", ["flights", "flight"]),  # no stemming, on purpose
        ("", []),
        ("!!! ... ???", []),
    ],
)
def test_latin_tokens(text: str, expected: list[str]) -> None:
    assert index_tokens(text, "en").split() == expected
    assert query_tokens(text) == expected


def test_chinese_index_has_sub_words_and_query_has_precise_words() -> None:
    assert query_tokens("中华人民共和国成立了") == ["中华人民共和国", "成立", "了"]
    index = index_tokens("中华人民共和国成立了", "zh").split()
    assert {"中华", "人民", "共和国", "中华人民共和国", "成立", "了"} <= set(index)


def test_mixed_runs_keep_order_and_split_latin_from_han() -> None:
    assert query_tokens("今天用iPhone12拍照，效果Really好！") == [
        "今天", "用", "iphone12", "拍照", "效果", "really", "好",
    ]  # fmt: skip


def test_punctuation_inside_han_runs_is_dropped() -> None:
    tokens = index_tokens("你好，世界！ 😀 再见。。。", "zh").split()
    assert tokens == ["你好", "世界", "再见"]


def test_tokens_never_carry_fts_syntax() -> None:
    hostile = (
        '"quoted" phrase* ^start col:umn (group) NEAR/3 a+b -x {x} [y] '
        "“引号”里的*通配符^和：冒号（括号）「书名」 'single' \x00 \t tab\nline"
    )
    for tokens in (index_tokens(hostile, "zh").split(" "), query_tokens(hostile)):
        assert tokens
        for token in tokens:
            assert SAFE_TOKEN.fullmatch(token), repr(token)


def test_latin_text_never_reaches_jieba(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(text: str) -> list[str]:
        raise AssertionError(f"jieba called with {text!r}")

    monkeypatch.setattr(rjieba, "cut", refuse)
    monkeypatch.setattr(rjieba, "cut_for_search", refuse)
    assert index_tokens("English only, 100% ASCII", "en") == "english only 100 ascii"
    assert query_tokens("Ünïcode but no Han") == ["ünïcode", "but", "no", "han"]


def test_only_han_runs_reach_jieba(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []
    real = rjieba.cut

    def spy(text: str) -> object:
        seen.append(text)
        return real(text)

    monkeypatch.setattr(rjieba, "cut", spy)
    query_tokens("Breaking news 北京，今天 update 上海")
    assert seen == ["北京,今天", "上海"]  # NFKC turned the full-width comma into ","
    assert tokenize.rjieba is rjieba


def test_every_precise_query_word_is_in_the_index_of_real_weibo_posts() -> None:
    """The search contract: segmenting a post precisely gives only indexed words."""
    missing = []
    for text in _weibo(step=4):
        indexed = set(index_tokens(text, "zh").split())
        absent = [w for w in query_tokens(text) if w not in indexed]
        if absent:
            missing.append((text, absent))
    assert not missing, missing[:5]


def test_rjieba_segments_real_posts_as_python_jieba_does() -> None:
    """The Rust port replaced Python jieba: tokens already indexed must stay findable."""
    texts = _weibo(step=2)
    # Fresh instances: other tests add scheme words to the process-wide ones.
    python, rust = jieba.Tokenizer().cut_for_search, rjieba.Jieba().cut_for_search
    same = sum(tokenize._tokens(text, python) == tokenize._tokens(text, rust) for text in texts)
    assert same / len(texts) >= 0.999, same / len(texts)


def test_scheme_words_become_tokens_as_in_python_jieba() -> None:
    words = ["长江大桥事故", "新冠肺炎疫情防控"]
    tokenize.add_words(words)
    for word in words:
        jieba.add_word(word)
    for text in ("南京市长江大桥事故频发", "新冠肺炎疫情防控工作"):
        assert query_tokens(text) == tokenize._tokens(text, jieba.cut)
        assert index_tokens(text, "zh").split() == tokenize._tokens(text, jieba.cut_for_search)
    assert "长江大桥事故" in query_tokens("南京市长江大桥事故频发")


def test_deterministic() -> None:
    text = _weibo(step=1000)[3]
    assert index_tokens(text, "zh") == index_tokens(text, "zh")
    assert query_tokens(text) == query_tokens(text)


def test_long_stretches_segment_like_their_parts() -> None:
    """Stretches over the block limit are split at jieba's own block boundaries."""
    posts = [p for p in _weibo(step=97) if p.strip()][:80]
    joined = "。".join(posts)
    assert len(joined) > 2_000
    expected = " ".join(t for t in (index_tokens(p, "zh") for p in posts) if t)
    assert index_tokens(joined, "zh") == expected


def test_unpunctuated_han_flood_stays_fast() -> None:
    start = time.perf_counter()
    tokens = index_tokens("中" * 100_000, "zh").split()
    assert time.perf_counter() - start < 8  # unsliced, jieba's HMM takes ~25 s here
    assert tokens and all(set(t) == {"中"} for t in tokens)


def test_traditional_and_simplified_index_and_query_alike() -> None:
    assert index_tokens("臺灣頭髮發展問題", "zh") == index_tokens("台湾头发发展问题", "zh")
    assert set(query_tokens("台湾")) <= set(index_tokens("關於臺灣的新聞", "zh").split())


def test_scheme_words_become_tokens() -> None:
    from groundswell.analyze.tokenize import add_words

    text = "新冠疫苗接种点排长队"
    assert "疫苗接种点" not in index_tokens(text, "zh").split()
    assert add_words(["疫苗接种点", "flood", "疫苗接种点"]) == 1  # Han words only, once
    assert "疫苗接种点" in index_tokens(text, "zh").split()
    assert "疫苗接种点" in query_tokens("疫苗接种点")
