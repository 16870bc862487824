"""Throughput of language detection, tokenisation and normalisation on real posts.

Run as `python -m bench.tokenize` from the project root (data: ../shared/data).
Tokenises 20,000 Weibo posts (the SMP2020 sets, cycled: they hold 12,192) and 20,000 English tweets
(US airline set, cycled: 14,640) and prints one JSON line of posts per second
per step and language, on one core. jieba's own figures are the ceiling for
Chinese; the ingest targets are >= 2,500 zh and >= 5,000 en posts/s end to end.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

import jieba

from groundswell.analyze.language import detect_language
from groundswell.analyze.tokenize import index_tokens, warm_up
from groundswell.models import RawItem
from groundswell.normalize.post import Normaliser

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "sentiment"
ZH_FILES = sorted((DATA / "zh").glob("weibo_smp2020_*.csv"))
EN_FILE = DATA / "en" / "us_airline_tweets.csv"


def load_texts(paths: Iterable[Path], n: int) -> list[str]:
    """The `text` column of the CSV files, cycled to exactly n rows."""
    texts: list[str] = []
    for path in paths:
        with path.open(encoding="utf-8", newline="") as handle:
            texts.extend(row["text"] for row in csv.DictReader(handle) if row["text"])
    if not texts:
        raise SystemExit(f"no texts found in {list(paths)}")
    return list(itertools.islice(itertools.cycle(texts), n))


def rate(fn: Callable[[str], object], texts: list[str], repeat: int) -> int:
    """Posts per second for fn applied to each text, best of `repeat` runs."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for text in texts:
            fn(text)
        best = min(best, time.perf_counter() - start)
    return round(len(texts) / best)


def normalise_rate(texts: list[str], repeat: int) -> int:
    """Posts per second through Normaliser.normalise in batches of 500, best of `repeat`."""
    normaliser = Normaliser(b"bench-key-not-secret")
    published = datetime(2024, 1, 1, tzinfo=UTC)
    items = [
        RawItem(
            raw={"id": i, "text": text},
            external_id=str(i),
            text=text,
            author=f"user{i % 997}",
            published_at=published,
            engagement={"likes": i % 50},
        )
        for i, text in enumerate(texts)
    ]
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        posts = 0
        for offset in range(0, len(items), 500):
            done, _ = normaliser.normalise(items[offset : offset + 500], 1, published)
            posts += len(done)
        best = min(best, time.perf_counter() - start)
    assert posts == len(items), "some bench posts were rejected"
    return round(posts / best)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=20_000, help="posts per language")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure; best is kept")
    args = parser.parse_args()
    warm_up()
    repeat = max(1, args.repeat)
    result: dict[str, object] = {
        "posts_per_language": args.n,
        "repeat": repeat,
        "unit": "posts/s, one core, best run",
    }
    for lang, texts in (
        ("zh", load_texts(ZH_FILES, args.n)),
        ("en", load_texts([EN_FILE], args.n)),
    ):
        result[lang] = {
            "jieba_cut": rate(lambda t: list(jieba.cut(t)), texts, repeat),
            "jieba_cut_for_search": rate(lambda t: list(jieba.cut_for_search(t)), texts, repeat),
            "index_tokens": rate(lambda t, lang=lang: index_tokens(t, lang), texts, repeat),
            "detect_language": rate(detect_language, texts, repeat),
            "normalise": normalise_rate(texts, repeat),
        }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
