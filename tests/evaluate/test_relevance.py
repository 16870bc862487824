"""`eval relevance`: scores a query on labelled on/off-topic posts; bad files fail clearly."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from groundswell.analyze.fold import fold
from groundswell.errors import ParseError, QueryError
from groundswell.evaluate.relevance import evaluate_relevance

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "relevance" / "en"


def _sample(tmp_path: Path, rows: int = 1500) -> Path:
    """The first rows of the Queensland floods file (keeps the test fast)."""
    source = DATA / "2013_Queensland_Floods.csv"
    target = tmp_path / "sample.csv"
    with source.open(encoding="utf-8") as handle:
        lines = list(csv.reader(handle))[: rows + 1]
    with target.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(lines)
    return target


def test_scores_agree_with_a_direct_count(tmp_path: Path) -> None:
    path = _sample(tmp_path)
    out = io.StringIO()
    result = evaluate_relevance(path, "flood*", out=out)
    last = json.loads(out.getvalue().strip().splitlines()[-1])
    assert last == result
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    predicted = [any(w.startswith("flood") for w in fold(r["text"]).split()) for r in rows]
    gold = [r["label"] == "on-topic" for r in rows]
    tp = sum(p and g for p, g in zip(predicted, gold, strict=True))
    assert result["n"] == len(rows)
    # split() misses "#floods" style words, so the matcher finds at least as many
    assert result["tp"] >= tp > 0
    assert result["precision"] == round(result["tp"] / result["matched"], 4)
    assert 0 < result["f1"] <= 1


def test_a_query_that_matches_nothing(tmp_path: Path) -> None:
    result = evaluate_relevance(_sample(tmp_path, 200), "zzqqxx", out=io.StringIO())
    assert result["precision"] == result["recall"] == result["f1"] == 0.0


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("text,label\nhello,on-topic\n", "missing column"),
        ("topic,text,label\nt,hello,relevant\n", "not one of"),
        ("topic,text,label\n", "no data rows"),
    ],
)
def test_bad_files(tmp_path: Path, content: str, words: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ParseError, match=words):
        evaluate_relevance(path, "flood", out=io.StringIO())


def test_missing_file_and_bad_query(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="no such file"):
        evaluate_relevance(tmp_path / "nope.csv", "flood", out=io.StringIO())
    with pytest.raises(QueryError) as caught:
        evaluate_relevance(_sample(tmp_path, 10), "flood AND (", out=io.StringIO())
    assert caught.value.position == len("flood AND (")
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"topic,text,label\n\xff\xfe,\x00,on-topic\n")
    with pytest.raises(ParseError):
        evaluate_relevance(binary, "flood", out=io.StringIO())
