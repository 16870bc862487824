"""`groundswell eval sentiment FILE.csv`: macro-F1, accuracy and speed on a labelled file.

The file has columns `text,label` (labels negative|neutral|positive). Language
is detected per post with `detect_language`, outside the timed part, and the
figures are printed overall and per language. The last printed line is one
JSON object: {"n", "macro_f1", "accuracy", "docs_per_s", ...}.
"""

from __future__ import annotations

import csv
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from groundswell.analyze.language import detect_language
from groundswell.analyze.sentiment import SentimentAnalyzer, load_analyzer
from groundswell.errors import ParseError

__all__ = ["LABELS", "evaluate_sentiment", "read_sentiment_file", "scores"]

LABELS = ("negative", "neutral", "positive")


def read_sentiment_file(path: Path) -> tuple[list[str], list[str]]:
    """Texts and labels; ParseError with the reason for a missing file, columns or bad labels."""
    path = Path(path)
    if not path.is_file():
        raise ParseError(f"sentiment file not found: {path}")
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = {"text", "label"} - set(reader.fieldnames or ())
            if missing:
                raise ParseError(
                    f"{path}: missing column(s) {', '.join(sorted(missing))}; "
                    f"need text,label (found {reader.fieldnames})"
                )
            rows = [(row["text"] or "", (row["label"] or "").strip().lower()) for row in reader]
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ParseError(f"{path}: not a readable UTF-8 CSV file: {exc}") from exc
    bad = sorted({label for _, label in rows if label not in LABELS})
    if bad:
        raise ParseError(f"{path}: unknown label(s) {bad[:5]}; use one of {', '.join(LABELS)}")
    if not rows:
        raise ParseError(f"{path}: no rows")
    return [t for t, _ in rows], [label for _, label in rows]


def scores(gold: Sequence[str], predicted: Sequence[str]) -> dict[str, float]:
    """Macro-F1 over the classes present in gold or predictions (as scikit-learn), accuracy."""
    f1s = []
    present = [label for label in LABELS if label in set(gold) | set(predicted)]
    for label in present:
        tp = sum(g == p == label for g, p in zip(gold, predicted, strict=True))
        fp = sum(p == label != g for g, p in zip(gold, predicted, strict=True))
        fn = sum(g == label != p for g, p in zip(gold, predicted, strict=True))
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    correct = sum(g == p for g, p in zip(gold, predicted, strict=True))
    return {
        "macro_f1": round(sum(f1s) / len(present), 4) if present else 0.0,
        "accuracy": round(correct / len(gold), 4) if gold else 0.0,
    }


def evaluate_sentiment(
    path: Path, *, analyzer: SentimentAnalyzer | None = None, out: TextIO = sys.stdout
) -> dict:
    """Score `analyzer` (default: the built-in model) on a labelled CSV; prints, then returns."""
    texts, gold = read_sentiment_file(path)
    analyzer = analyzer or load_analyzer("builtin")
    langs = [detect_language(t) for t in texts]
    analyzer.analyze(texts[:50], langs[:50])  # warm caches so speed is the steady state
    start = time.perf_counter()
    results = analyzer.analyze(texts, langs)
    elapsed = max(time.perf_counter() - start, 1e-9)
    predicted = [r.label for r in results]
    summary: dict = {"n": len(texts), **scores(gold, predicted)}
    summary["docs_per_s"] = round(len(texts) / elapsed)
    print(f"sentiment eval of {path} with backend {analyzer.name!r}", file=out)
    for lang in sorted(set(langs)):
        rows = [i for i, x in enumerate(langs) if x == lang]
        part = scores([gold[i] for i in rows], [predicted[i] for i in rows])
        summary[f"macro_f1_{lang}"] = part["macro_f1"]
        print(
            f"  {lang:5} n={len(rows):6d}  macro-F1={part['macro_f1']:.4f}  "
            f"accuracy={part['accuracy']:.4f}",
            file=out,
        )
    print(
        f"  all   n={len(texts):6d}  macro-F1={summary['macro_f1']:.4f}  "
        f"accuracy={summary['accuracy']:.4f}  {summary['docs_per_s']:,} posts/s",
        file=out,
    )
    print(json.dumps(summary), file=out)
    return summary
