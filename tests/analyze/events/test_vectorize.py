"""Terms and vectors: what a post contributes to event matching."""

from __future__ import annotations

import math
import time

from groundswell.analyze.events.vectorize import (
    DocumentFrequencies,
    TermOptions,
    extract_terms,
    observe_and_vectorize,
    vectorize,
)


def test_urls_mentions_and_stop_words_are_dropped() -> None:
    terms = extract_terms("RT @AP: The train derailed in the Bronx http://t.co/abc123 via @NBC")
    assert "train" in terms and "derailed" in terms and "bronx" in terms
    for dropped in ("rt", "ap", "the", "in", "nbc", "t", "co", "abc123", "http", "via"):
        assert dropped not in terms


def test_hashtags_and_capitalised_words_weigh_more_than_plain_words() -> None:
    options = TermOptions(word_pairs=0.0)
    terms = extract_terms("praying for #bohol and Cebu after the earthquake", options)
    assert terms["bohol"] == options.hashtag
    assert terms["cebu"] == options.capitalised
    assert terms["earthquake"] == 1.0


def test_adjacent_word_pairs_are_terms() -> None:
    terms = extract_terms("black friday sale", TermOptions(word_pairs=1.0))
    assert "black friday" in terms and "friday sale" in terms
    assert "black friday" not in extract_terms("black friday", TermOptions(word_pairs=0.0))


def test_han_text_gives_folded_bigrams_so_traditional_matches_simplified() -> None:
    simplified = extract_terms("聊城强拆事件")
    traditional = extract_terms("聊城強拆事件")
    assert "强拆" in simplified
    assert simplified == traditional


def test_weibo_topic_is_one_strong_term() -> None:
    terms = extract_terms("#聊城强拆# 居民反抗")
    assert terms["#聊城强拆"] == TermOptions().topic


def test_accents_are_stripped_from_latin_words() -> None:
    assert "megantic" in extract_terms("Lac-Mégantic train")


def test_bad_input_gives_few_or_no_terms_quickly() -> None:
    assert not extract_terms("")
    assert not extract_terms("😭😭🙏🙏 !!! ...")
    start = time.perf_counter()
    huge = extract_terms("flood rescue " * 90_000)  # ~1 MB
    assert time.perf_counter() - start < 1.0
    assert set(huge) == {"flood", "rescue", "flood rescue", "rescue flood"}
    mixed = extract_terms("台风海燕 Typhoon Haiyan 菲律宾")
    assert "台风" in mixed and "haiyan" in mixed and "菲律" in mixed


def test_vectors_are_unit_length_and_rare_terms_weigh_more() -> None:
    frequencies = DocumentFrequencies()
    for text in ["flood in manila", "flood warning", "flood again", "typhoon"]:
        frequencies.observe(extract_terms(text))
    vector = vectorize(extract_terms("manila flood"), frequencies)
    assert math.isclose(math.sqrt(sum(w * w for w in vector.values())), 1.0)
    assert vector["manila"] > vector["flood"]
    assert vectorize(extract_terms("😭"), frequencies) == {}


def test_background_counts_lower_the_weight_of_common_words() -> None:
    plain = DocumentFrequencies()
    seeded = DocumentFrequencies(background_docs=1000, background={"people": 400})
    terms = extract_terms("people evacuated")
    assert vectorize(terms, seeded)["people"] < vectorize(terms, plain)["people"]


def test_observe_and_vectorize_is_observe_then_vectorize_bit_for_bit() -> None:
    """The clusterer's one-pass form: same counts, same vectors (== on floats)."""
    import csv
    import itertools
    from pathlib import Path

    data = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"
    texts: list[str] = []
    for name in ("events/en/googlenews_titles.csv", "events/zh/weibo_cascades.csv"):
        with (data / name).open(encoding="utf-8-sig", newline="") as handle:
            rows = itertools.islice(csv.DictReader(handle), 400)
            texts += [row["text"] for row in rows]
    texts += ["", "😭", "flood " * 50]
    background = {"flood": 40, "警方": 12}
    one = DocumentFrequencies(background_docs=500, background=dict(background))
    two = DocumentFrequencies(background_docs=500, background=dict(background))
    nonempty = 0
    for power in (1.0, 1.5):
        for text in texts:
            terms = extract_terms(text)
            two.observe(terms)
            expected = vectorize(terms, two, power)
            assert observe_and_vectorize(terms, one, power) == expected
            nonempty += bool(expected)
    assert (one.docs, one.counts) == (two.docs, two.counts)
    assert nonempty > 1500
