"""Language detection judged on real posts (Weibo, tweets) and hand-written foreign text."""

from __future__ import annotations

import csv
import time
from pathlib import Path

import pytest

from groundswell.analyze import language
from groundswell.analyze.language import detect_language

DATA = Path("../shared/data")


def _texts(*paths: Path) -> list[str]:
    out: list[str] = []
    for path in paths:
        with path.open(encoding="utf-8", newline="") as handle:
            out.extend(row["text"] for row in csv.DictReader(handle) if row["text"].strip())
    assert out, f"no rows in {paths}"
    return out


def _accuracy(texts: list[str], expected: str) -> float:
    return sum(detect_language(t) == expected for t in texts) / len(texts)


def test_weibo_posts_are_chinese() -> None:
    texts = _texts(*sorted((DATA / "sentiment/zh").glob("weibo_smp2020_*.csv")))
    assert len(texts) > 10_000
    assert _accuracy(texts, "zh") >= 0.97


@pytest.mark.parametrize("name", ["tweeteval_val.csv", "us_airline_tweets.csv"])
def test_tweets_are_english(name: str) -> None:
    assert _accuracy(_texts(DATA / "sentiment/en" / name), "en") >= 0.97


@pytest.mark.parametrize(
    "text",
    [
        "Le gouvernement a annoncé une nouvelle réforme des retraites.",
        "Je ne sais pas ce que tu veux dire par là.",
        "El presidente anunció que no habrá cambios en la política económica.",
        "Los vecinos se quejan del ruido de las obras en la calle.",
        "Die Regierung hat am Montag neue Maßnahmen angekündigt, die ab Januar gelten.",
        "Ich habe heute keine Zeit, aber morgen vielleicht.",
        "Il sindaco ha detto che la strada sarà chiusa per tre giorni.",
        "O governo não vai aumentar os impostos este ano.",
        "De gemeente heeft besloten om de brug te sluiten.",
        "Pemerintah akan membangun jalan baru di kota ini.",
        "東京都は新しい対策を発表しました。",
        "서울시는 새로운 교통 정책을 발표했다.",
        "Правительство объявило о новых мерах поддержки.",
        "الحكومة أعلنت عن إجراءات جديدة",
    ],
)
def test_other_languages_are_other(text: str) -> None:
    assert detect_language(text) == "other"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("今天用iPhone拍了好多照片，效果 really amazing", "zh"),
        ("#微博热搜# 这个 App 的 update 太慢了 https://t.cn/A6abc", "zh"),
        ("//@人民日报: [good] 转发微博", "zh"),
        ("I visited 北京 last week and loved it", "en"),
        ("The flight was delayed again, thanks for nothing @united", "en"),
        ("We've waited 3 hours at the gate, this is ridiculous!", "en"),
        ("", "other"),
        ("   ", "other"),
        ("12345 67", "other"),
        ("😂😂😂", "other"),
        ("https://example.com/a", "other"),
    ],
)
def test_mixed_and_edge_cases(text: str, expected: str) -> None:
    assert detect_language(text) == expected


def test_long_text_cost_is_bounded() -> None:
    long_text = "这是一个很长的帖子。" * 20_000 + "The end."
    assert detect_language(long_text) == "zh"
    start = time.perf_counter()
    for _ in range(20):
        detect_language(long_text)
    assert (time.perf_counter() - start) / 20 < 0.005  # only the first 3,000 chars are read


def test_fast_on_real_posts() -> None:
    texts = _texts(DATA / "sentiment/en/tweeteval_val.csv")
    start = time.perf_counter()
    for text in texts:
        detect_language(text)
    per_post = (time.perf_counter() - start) / len(texts)
    assert per_post < 100e-6  # ~6 µs measured; generous for slow CI machines


def test_function_word_lists_do_not_overlap() -> None:
    assert not language._EN_WORDS & language._OTHER_WORDS
