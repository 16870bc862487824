"""The lexicon backend: transparent scores, sensible on real tweets, robust to odd input."""

from __future__ import annotations

import csv
import itertools
import pickle
from pathlib import Path

import pytest

from groundswell.analyze.sentiment import load_analyzer
from groundswell.analyze.sentiment.lexicon import (
    LexiconSentimentAnalyzer,
    build_zh_lexicon,
    read_lexicon_file,
)
from groundswell.evaluate.sentiment import scores

DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "sentiment"


@pytest.fixture(scope="module")
def lexicon() -> LexiconSentimentAnalyzer:
    found = load_analyzer("lexicon")
    assert isinstance(found, LexiconSentimentAnalyzer)
    return found


def test_english_beats_the_majority_class_on_real_tweets(lexicon: LexiconSentimentAnalyzer) -> None:
    # The English lexicon is VADER's; it never saw these tweets.
    with (DATA / "en" / "tweeteval_val.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(itertools.islice(csv.DictReader(handle), 600))
    gold = [r["label"] for r in rows]
    predicted = [s.label for s in lexicon.analyze([r["text"] for r in rows], ["en"] * len(rows))]
    majority = max(set(gold), key=gold.count)
    assert (
        scores(gold, predicted)["macro_f1"] > scores(gold, [majority] * len(gold))["macro_f1"] + 0.2
    )


def test_negation_flips_english(lexicon: LexiconSentimentAnalyzer) -> None:
    assert lexicon.score("the service was good", "en") > 0
    assert lexicon.score("the service was not good", "en") < 0


def test_shipped_chinese_terms_drive_the_label(lexicon: LexiconSentimentAnalyzer) -> None:
    terms, band = read_lexicon_file(lexicon.folder / "lexicon_zh.tsv")
    assert band is not None and len(terms) > 500
    best = max(terms, key=terms.__getitem__)
    worst = min(terms, key=terms.__getitem__)
    assert [s.label for s in lexicon.analyze([best * 3, worst * 3], ["zh", "zh"])] == [
        "positive",
        "negative",
    ]


def test_build_zh_lexicon_from_real_reviews() -> None:
    with (DATA / "zh" / "nlpcc2014_reviews.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    terms = build_zh_lexicon([r["text"] for r in rows], [r["label"] for r in rows])
    assert terms and all(abs(v) >= 1.0 for v in terms.values())
    assert any(v > 0 for v in terms.values()) and any(v < 0 for v in terms.values())


def test_odd_input_and_pickling(lexicon: LexiconSentimentAnalyzer) -> None:
    texts = ["", "😂😂😂", "[泪][泪]", "好" * 1_000_000, "今天 so happy 开心", "???"]
    results = lexicon.analyze(texts)
    assert len(results) == len(texts)
    assert results[0].label == "neutral" and results[0].confidence < 0.5
    assert all(0.0 <= r.confidence <= 1.0 for r in results)
    again = pickle.loads(pickle.dumps(lexicon))
    assert again.analyze(texts) == results
