"""`groundswell eval relevance`: how well a query separates on-topic from off-topic posts.

The file has columns topic,text,label with label on-topic|off-topic (the
CrisisLex T6 layout). A post the query matches counts as predicted on-topic;
precision, recall and F1 are for the on-topic class. The query is scored as
written, with no tuning here: a figure is only held-out if the query was
written without looking at the file.
"""

from __future__ import annotations

import csv
import json
import sys
import time
from pathlib import Path
from typing import TextIO

from groundswell.analyze.query import Document, compile_query
from groundswell.errors import ParseError

__all__ = ["LABELS", "evaluate_relevance", "read_relevance"]

LABELS = ("on-topic", "off-topic")
REQUIRED_COLUMNS = ("topic", "text", "label")


def read_relevance(path: Path) -> list[tuple[str, bool]]:
    """(text, is on-topic) per row; ParseError for a missing file, columns or a bad label."""
    if not path.is_file():
        raise ParseError(f"{path}: no such file")
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise ParseError(
                    f"{path}: missing column(s) {', '.join(missing)}; "
                    f"expected {','.join(REQUIRED_COLUMNS)}"
                )
            rows: list[tuple[str, bool]] = []
            for line, row in enumerate(reader, start=2):
                label = (row["label"] or "").strip()
                if label not in LABELS:
                    raise ParseError(
                        f"{path}, line {line}: label {label!r} is not one of {', '.join(LABELS)}"
                    )
                rows.append((row["text"] or "", label == "on-topic"))
    except UnicodeDecodeError as error:
        raise ParseError(f"{path}: not UTF-8 text ({error.reason})") from None
    except csv.Error as error:
        raise ParseError(f"{path}: not a readable CSV file ({error})") from None
    if not rows:
        raise ParseError(f"{path}: no data rows")
    return rows


def _ratio(a: int, b: int) -> float:
    return round(a / b, 4) if b else 0.0


def evaluate_relevance(path: Path, query: str, *, out: TextIO = sys.stdout) -> dict[str, object]:
    """Score `query` on a labelled file; prints a summary and, last, one JSON line.

    Raises QueryError for a malformed query (before reading the file) and
    ParseError for a missing or malformed file.
    """
    compiled = compile_query(query)
    rows = read_relevance(Path(path))
    started = time.perf_counter()
    predicted = compiled.match([Document(title="", text=text) for text, _ in rows])
    seconds = time.perf_counter() - started
    tp = fp = fn = 0
    for (_, on_topic), found in zip(rows, predicted, strict=True):
        if found is not None and on_topic:
            tp += 1
        elif found is not None:
            fp += 1
        elif on_topic:
            fn += 1
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    f1 = round(2 * precision * recall / (precision + recall), 4) if precision + recall else 0.0
    result: dict[str, object] = {
        "n": len(rows),
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "on_topic": tp + fn,
        "matched": tp + fp,
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "query": query,
        "file": Path(path).name,
    }
    print(f"file:      {path}", file=out)
    print(f"query:     {query}", file=out)
    print(f"posts:     {len(rows):,} ({tp + fn:,} on-topic)", file=out)
    print(f"matched:   {tp + fp:,} ({tp:,} on-topic, {fp:,} off-topic)", file=out)
    print(f"precision: {precision:.3f}  recall: {recall:.3f}  F1: {f1:.3f}", file=out)
    print(f"time:      {seconds:.2f} s ({len(rows) / max(seconds, 1e-9):,.0f} posts/s)", file=out)
    print(json.dumps(result, ensure_ascii=False), file=out)
    return result
