"""The built-in backend through the public API: shapes, bad input, pickling, the registry."""

from __future__ import annotations

import csv
import pickle
from pathlib import Path

import pytest

from groundswell.analyze.sentiment import Sentiment, backend_names, load_analyzer
from groundswell.analyze.sentiment.analyzer import BuiltinSentimentAnalyzer
from groundswell.errors import ConfigError

DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "sentiment"


def _texts(path: Path, n: int) -> list[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [row["text"] for _, row in zip(range(n), csv.DictReader(handle), strict=False)]


@pytest.fixture(scope="module")
def analyzer() -> BuiltinSentimentAnalyzer:
    found = load_analyzer()
    assert isinstance(found, BuiltinSentimentAnalyzer)
    return found


def test_one_result_per_real_post(analyzer: BuiltinSentimentAnalyzer) -> None:
    texts = _texts(DATA / "zh" / "weibo_smp2020_usual_eval.csv", 100)
    texts += _texts(DATA / "en" / "tweeteval_val.csv", 100)
    results = analyzer.analyze(texts)
    assert len(results) == len(texts)
    assert all(isinstance(r, Sentiment) and 0.0 <= r.confidence <= 1.0 for r in results)
    assert {r.label for r in results} == {"negative", "neutral", "positive"}
    # Given languages and detected languages agree for these clean posts.
    langs = ["zh"] * 100 + ["en"] * 100
    assert analyzer.analyze(texts, langs) == results


def test_bad_input(analyzer: BuiltinSentimentAnalyzer) -> None:
    texts = [
        "",
        "   ",
        "😂😂😂",
        "[哈哈][哈哈]",
        "好" * 1_000_000,
        "今天的 meeting 太 boring 了",
        "!!!",
    ]
    results = analyzer.analyze(texts)
    assert len(results) == len(texts)
    assert results[0].label == "neutral" and results[0].confidence < 0.5
    assert results[1] == results[0]
    assert all(0.0 <= r.confidence <= 1.0 for r in results)
    assert analyzer.analyze([]) == []


def test_other_language_is_routed_by_script(analyzer: BuiltinSentimentAnalyzer) -> None:
    # "other" with Han goes to the Chinese model, so it equals the result as zh.
    text = "この映画は最高でした 太好看了"
    assert analyzer.analyze([text], ["other"]) == analyzer.analyze([text], ["zh"])


def test_languages_must_match_texts(analyzer: BuiltinSentimentAnalyzer) -> None:
    with pytest.raises(ValueError, match="languages"):
        analyzer.analyze(["a", "b"], ["en"])


def test_pickles_small_and_equal(analyzer: BuiltinSentimentAnalyzer) -> None:
    blob = pickle.dumps(analyzer)
    assert len(blob) < 2_000  # the path, not the arrays
    again = pickle.loads(blob)
    texts = _texts(DATA / "en" / "tweeteval_val.csv", 20)
    assert again.analyze(texts) == analyzer.analyze(texts)


def test_registry_names_and_errors(tmp_path: Path) -> None:
    assert {"builtin", "lexicon", "onnx"} <= set(backend_names())
    with pytest.raises(ConfigError, match="unknown sentiment backend"):
        load_analyzer("nope")
    with pytest.raises(ConfigError, match="not found"):
        load_analyzer("builtin", path=tmp_path / "missing.npz")
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"not a model")
    with pytest.raises(ConfigError, match="cannot read"):
        load_analyzer("builtin", path=broken)
