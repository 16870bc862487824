"""Monitoring schemes: the four boxes as one query, compiled together, explained in words."""

from __future__ import annotations

import csv
import pickle
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from groundswell.analyze.fold import fold
from groundswell.analyze.query import (
    Document,
    Phrase,
    SchemeMatcher,
    Term,
    format_query,
    parse_query,
)
from groundswell.analyze.schemes import (
    Scheme,
    box_leaf,
    compile_schemes,
    explain,
    scheme_query,
    scheme_words,
)
from groundswell.errors import QueryError

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


def test_boxes_become_one_query() -> None:
    scheme = Scheme(
        1,
        "floods",
        subject_words=["flood*", '"flash flood"'],
        region_words=["Brisbane", "昆士兰"],
        event_words=[],
        exclusion_words=["drill", "exercise"],
        query="title:warning OR evacuat*",
    )
    assert scheme_query(scheme) == parse_query(
        '(flood* OR "flash flood") (Brisbane OR 昆士兰) (title:warning OR evacuat*) '
        "NOT (drill OR exercise)"
    )


def test_box_entries_are_literal() -> None:
    assert box_leaf("台湾") == Term("台湾")
    assert box_leaf("flood*") == Term("flood", None, True)
    assert box_leaf("hurricane sandy") == Phrase("hurricane sandy")
    assert box_leaf("“台湾 大选”") == Phrase("台湾 大选")
    assert box_leaf("AND") == Phrase("AND")  # a word, not an operator
    assert box_leaf("  ") is None
    query = format_query(scheme_query(Scheme(1, "x", subject_words=["not", "or"])))
    assert parse_query(query) == scheme_query(Scheme(1, "x", subject_words=["not", "or"]))


@pytest.mark.parametrize(
    ("scheme", "words"),
    [
        (Scheme(1, "empty"), "no subject"),
        (Scheme(2, "only exclusions", exclusion_words=["spam"]), "no subject"),
        (Scheme(3, "bad word", subject_words=["fl*od"]), "wildcard"),
        (Scheme(4, "punctuation", event_words=["..."]), "no word"),
        (Scheme(5, "bad query", subject_words=["a"], query="(b"), "never closed"),
        (Scheme(6, "negative query", query="NOT spam"), "must appear"),
        (Scheme(8, "surrogate", subject_words=["a\ud83d"]), "broken character"),
        (Scheme(7, "too many", subject_words=[f"w{i}" for i in range(501)]), "limit"),
    ],
)
def test_bad_schemes_raise_query_error(scheme: Scheme, words: str) -> None:
    with pytest.raises(QueryError, match=words) as caught:
        compile_schemes([scheme])
    assert caught.value.position is not None


def _weibo(n: int) -> list[str]:
    path = DATA / "sentiment" / "zh" / "weibo_smp2020_virus_train.csv"
    with path.open(encoding="utf-8") as handle:
        return [row["text"] for _, row in zip(range(n), csv.DictReader(handle), strict=False)]


def test_schemes_on_real_weibo_posts() -> None:
    posts = _weibo(3000)
    schemes = [
        Scheme("epidemic", "疫情·武汉", ["疫情", "肺炎"], ["武漢", "湖北"], [], ["谣言"]),
        Scheme("masks", "口罩", ["口罩"], event_words=["买", "戴"]),
        Scheme("advanced", "医生", query="医生 NEAR/10 致敬 OR 医護"),
    ]
    matcher = pickle.loads(pickle.dumps(compile_schemes(schemes)))
    found = matcher.match([Document("", p) for p in posts])
    for post, matches in zip(posts, found, strict=True):
        folded = fold(post)
        ids = {m.scheme_id for m in matches}
        epidemic = (
            any(w in folded for w in ("疫情", "肺炎"))
            and any(w in folded for w in ("武汉", "湖北"))
            and "谣言" not in folded
        )
        masks = "口罩" in folded and ("买" in folded or "戴" in folded)
        assert ("epidemic" in ids) == epidemic
        assert ("masks" in ids) == masks
        if "医护" in folded:
            assert "advanced" in ids
    assert sum(bool(m) for m in found) > 100


def test_explain_names_the_boxes_that_hit() -> None:
    scheme = Scheme(9, "Brisbane floods", ["flood*"], ["Brisbane", "QLD"], ["evacuat*"], ["drill"])
    doc = Document("Flooding", "Brisbane residents told to evacuate")
    (match,) = compile_schemes([scheme]).match([doc])[0]
    text = explain(match, scheme)
    assert "flood*" in text and "Brisbane" in text and "evacuat*" in text
    assert "QLD" not in text and "exclusion" in text
    assert scheme_words(scheme) == ["flood", "Brisbane", "QLD", "evacuat"]


def test_bad_documents() -> None:
    matcher = compile_schemes([Scheme(1, "x", ["洪水", "flood"], query="")])
    docs = [
        Document("", ""),
        Document("", "😀🌊😀"),
        Document("", "洪水 " * 200_000),
        Document("Flood 洪水", "中英 mixed"),
    ]
    assert [len(m) for m in matcher.match(docs)] == [0, 0, 1, 1]


def _match_in_worker(matcher: SchemeMatcher, texts: list[str]) -> list[list[object]]:
    docs = [Document("", t) for t in texts]
    return [[m.scheme_id for m in found] for found in matcher.match(docs)]


def test_matcher_runs_in_a_process_pool() -> None:
    matcher = compile_schemes([Scheme("a", "a", ["口罩"]), Scheme("b", "b", ["flood*"])])
    texts = ["戴口罩", "Flooding", "nothing"]
    with ProcessPoolExecutor(max_workers=1) as pool:
        remote = pool.submit(_match_in_worker, matcher, texts).result(timeout=60)
    assert remote == _match_in_worker(matcher, texts) == [["a"], ["b"], []]
