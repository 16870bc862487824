"""The shipped model's fast feature paths give exactly the rows of the plain one."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from groundswell.analyze.sentiment.features import en_features, en_words, zh_features
from groundswell.analyze.sentiment.model import (
    LanguageModel,
    gram_key,
    lexicon_sums,
    load_models,
    tfidf_rows,
    vectorise,
)

MODEL = Path(__file__).resolve().parents[3] / "groundswell/analyze/sentiment/data/model.npz"
DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "sentiment"

ODD = [
    "",
    "   ",
    "😂😂😂",
    "[哈哈][泪]",
    "a",
    "好",
    "lone \ud800 surrogate 坏",
    "混合 mixed 语言 text!!! sooo baaad",
    "<script>alert('x')</script> 真的吗？",
    "长" * 5000,
    "工作人员态度差//@网友:转发微博 http://t.cn/abc @某人",
]


@pytest.fixture(scope="module")
def models() -> dict[str, LanguageModel]:
    return load_models(MODEL)


def _texts(name: str, limit: int) -> list[str]:
    with (DATA / name).open(encoding="utf-8") as handle:
        rows = csv.DictReader(handle)
        return [row["text"] for _, row in zip(range(limit), rows, strict=False)] + ODD


def test_chinese_gram_table_rows_equal_feature_strings(models: dict[str, LanguageModel]) -> None:
    model = models["zh"]
    texts = _texts("zh/weibo_smp2020_usual_eval.csv", 400)
    fast = model._zh_rows(texts).toarray()
    plain = vectorise([zh_features(t) for t in texts], model.vocab, model.idf).toarray()
    assert np.array_equal(fast, plain)


def test_english_word_cache_rows_equal_feature_strings(models: dict[str, LanguageModel]) -> None:
    model = models["en"]
    texts = _texts("en/tweeteval_val.csv", 400)
    for _ in range(2):  # the second pass reads the per-word cache
        fast = tfidf_rows([model._en_ids(en_words(t)) for t in texts], model.idf).toarray()
        plain = vectorise([en_features(t) for t in texts], model.vocab, model.idf).toarray()
        assert np.array_equal(fast, plain)


def test_probabilities_match_the_plain_computation(models: dict[str, LanguageModel]) -> None:
    for lang, name in (("zh", "zh/weibo_smp2020_usual_eval.csv"), ("en", "en/tweeteval_val.csv")):
        model = models[lang]
        texts = _texts(name, 200)
        feats = [zh_features(t) if lang == "zh" else en_features(t) for t in texts]
        scores = np.asarray(vectorise(feats, model.vocab, model.idf) @ model.weights)
        heads = scores[:, 3:] + model.head_bias
        if model.lexicon is not None:
            heads = np.hstack([heads, lexicon_sums(texts, model.lexicon)])
        logits = scores[:, :3] + heads @ model.dense_weights + model.bias
        expected = np.exp(logits - logits.max(axis=1, keepdims=True))
        expected /= expected.sum(axis=1, keepdims=True)
        assert np.allclose(model.probabilities(texts), expected, atol=1e-6)


def test_gram_keys_never_collide_across_lengths() -> None:
    grams = ["a", "\x00", "\x00a", "a\x00", "\x00\x00\x00", "好", "好好", "好好好", "😂"]
    grams.append("\U0010ffff" * 3)
    assert len({gram_key(g) for g in grams}) == len(grams)
    assert gram_key("\U0010ffff" * 3) < 2**64
