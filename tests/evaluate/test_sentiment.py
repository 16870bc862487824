"""`groundswell eval sentiment`: the contract (last line JSON) and clear errors on bad files."""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from groundswell.analyze.sentiment import Sentiment
from groundswell.errors import GroundswellError, ParseError
from groundswell.evaluate.sentiment import evaluate_sentiment, scores

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "sentiment"


class ConstantAnalyzer:
    """Says one label for everything, so the expected figures follow from the gold labels."""

    name = "constant"

    def __init__(self, label: str) -> None:
        self.label = label

    def analyze(self, texts: Sequence[str], langs: Sequence[str] | None = None) -> list[Sentiment]:
        return [Sentiment(self.label, 0.5) for _ in texts]  # type: ignore[arg-type]


def _sample(tmp_path: Path) -> Path:
    """60 real Weibo posts and 60 real tweets with their gold labels."""
    rows = []
    for name in ("zh/weibo_smp2020_usual_eval.csv", "en/tweeteval_val.csv"):
        with (DATA / name).open(encoding="utf-8", newline="") as handle:
            rows += list(itertools.islice(csv.DictReader(handle), 60))
    path = tmp_path / "sample.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["text", "label"])
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_last_line_is_the_json_summary(tmp_path: Path) -> None:
    out = io.StringIO()
    summary = evaluate_sentiment(_sample(tmp_path), out=out)
    lines = out.getvalue().strip().splitlines()
    assert json.loads(lines[-1]) == summary
    assert summary["n"] == 120
    assert 0.0 <= summary["macro_f1"] <= 1.0 and 0.0 <= summary["accuracy"] <= 1.0
    assert summary["docs_per_s"] > 0
    assert any(line.strip().startswith("zh") for line in lines)
    assert any(line.strip().startswith("en") for line in lines)


def test_figures_match_a_hand_count(tmp_path: Path) -> None:
    path = _sample(tmp_path)
    with path.open(encoding="utf-8", newline="") as handle:
        gold = [row["label"] for row in csv.DictReader(handle)]
    summary = evaluate_sentiment(path, analyzer=ConstantAnalyzer("negative"), out=io.StringIO())
    share = gold.count("negative") / len(gold)
    assert summary["accuracy"] == round(share, 4)
    # One class predicted: its F1 is 2p/(1+p), the other two are 0.
    assert summary["macro_f1"] == round(2 * share / (1 + share) / 3, 4)
    assert scores(gold, gold)["macro_f1"] == 1.0


def test_bad_files(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="not found"):
        evaluate_sentiment(tmp_path / "missing.csv", out=io.StringIO())
    cols = tmp_path / "cols.csv"
    cols.write_text("body,sentiment\nhello,positive\n", encoding="utf-8")
    with pytest.raises(ParseError, match="missing column"):
        evaluate_sentiment(cols, out=io.StringIO())
    labels = tmp_path / "labels.csv"
    labels.write_text("text,label\nhello,good\nbye,negative\n", encoding="utf-8")
    with pytest.raises(ParseError, match="unknown label"):
        evaluate_sentiment(labels, out=io.StringIO())
    empty = tmp_path / "empty.csv"
    empty.write_text("text,label\n", encoding="utf-8")
    with pytest.raises(GroundswellError, match="no rows"):
        evaluate_sentiment(empty, out=io.StringIO())
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"text,label\n\xff\xfe\x00bad,positive\n")
    with pytest.raises(ParseError, match="UTF-8"):
        evaluate_sentiment(binary, out=io.StringIO())


def test_odd_posts_are_scored(tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        writer.writerows(
            [
                ["", "neutral"],
                ["😂😂", "positive"],
                ["好" * 100_000, "positive"],
                ["混合 text 好", "neutral"],
            ]
        )
    summary = evaluate_sentiment(path, out=io.StringIO())
    assert summary["n"] == 4
