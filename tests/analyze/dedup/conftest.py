"""Real texts for the repost tests, read once per session from ../shared/data."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from groundswell.analyze.dedup.repost_text import canonical_tokens

DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"


def _column(path: Path, column: str) -> list[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [row[column] for row in csv.DictReader(handle) if row.get(column)]


def _long_enough(texts: list[str], minimum: int, count: int) -> list[str]:
    """The first `count` distinct texts with >= minimum canonical tokens and no chain."""
    out: list[str] = []
    seen: set[tuple[str, ...]] = set()
    for text in texts:
        tokens = tuple(canonical_tokens(text))
        if len(tokens) >= minimum and "//@" not in text and tokens not in seen:
            seen.add(tokens)
            out.append(text)
        if len(out) == count:
            break
    return out


@pytest.fixture(scope="session")
def weibo_posts() -> list[str]:
    """Simplified-Chinese Weibo posts of 30+ tokens."""
    texts = _column(DATA / "sentiment/zh/weibo_smp2020_usual_eval.csv", "text")
    return _long_enough(texts, 30, 40)


@pytest.fixture(scope="session")
def tweets() -> list[str]:
    """English tweets of 15+ tokens."""
    return _long_enough(_column(DATA / "sentiment/en/us_airline_tweets.csv", "text"), 15, 40)


@pytest.fixture(scope="session")
def cascade_comments() -> list[str]:
    """Real Weibo comments (used as commentary put in front of a repost)."""
    texts = _column(DATA / "events/zh/weibo_cascades.csv", "text")
    return [text for text in texts if 6 <= len(text) <= 40][:40]


@pytest.fixture(scope="session")
def paraphrase_pairs() -> list[tuple[str, str]]:
    """Label-1 LCQMC and PAWS-X pairs of 12+ tokens: same meaning, different text."""
    pairs: list[tuple[str, str]] = []
    for name in ("lcqmc_dev.tsv", "paws-x-zh_dev.tsv"):
        with (DATA / "pairs/zh" / name).open(encoding="utf-8") as handle:
            for line in handle:
                a, b, label = line.rstrip("\n").split("\t")
                ta, tb = canonical_tokens(a), canonical_tokens(b)
                if label == "1" and ta != tb and min(len(ta), len(tb)) >= 12:
                    pairs.append((a, b))
    return pairs[:300]
