"""`groundswell eval events FILE.csv`: score the event clusterer on a labelled file.

The file has columns id,time,text,event (others are ignored). Posts are fed
in time order when times are given; a row without a time keeps its place
after the timed row that precedes it in the file, so a file with no times is
fed in file order. The last line printed is one JSON object (the contract):
{"n", "bcubed_precision", "bcubed_recall", "bcubed_f1", "nmi", "docs_per_s"}.
"""

from __future__ import annotations

import csv
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TextIO

from groundswell.analyze.events import EventClusterer, EventConfig, EventItem
from groundswell.errors import ParseError
from groundswell.evaluate.clustering_metrics import score_clustering
from groundswell.sources.file import parse_timestamp

__all__ = ["LabelledPost", "cluster_posts", "evaluate_events", "load_labelled_posts"]

REQUIRED_COLUMNS = ("id", "time", "text", "event")
BATCH = 500


@dataclass(frozen=True, slots=True)
class LabelledPost:
    key: str
    time: datetime | None
    text: str
    event: str


def load_labelled_posts(path: Path, *, bad_times: str = "error") -> list[LabelledPost]:
    """Rows of the file in feeding order; ParseError names the file and row of any problem.

    `bad_times="empty"` treats an unparseable time as missing instead (the Weibo
    cascades file has four rows in a year-less "03月23日T19:24" form).
    """
    if bad_times not in ("error", "empty"):
        raise ValueError(f"bad_times must be 'error' or 'empty', not {bad_times!r}")
    try:
        handle = path.open(encoding="utf-8", newline="")
    except OSError as exc:
        raise ParseError(f"cannot read events file {path}: {exc.strerror or exc}") from exc
    posts: list[LabelledPost] = []
    with handle:
        try:
            reader = csv.DictReader(handle)
            missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise ParseError(
                    f"{path}: missing column(s) {', '.join(missing)}; "
                    f"need {','.join(REQUIRED_COLUMNS)}, found {','.join(reader.fieldnames or [])}"
                )
            for row in reader:
                try:
                    when = parse_timestamp(row["time"] or "")
                except ValueError as exc:
                    if bad_times == "empty":
                        when = None
                    else:
                        raise ParseError(
                            f"{path}, line {reader.line_num}: bad time {row['time']!r} ({exc}); "
                            "fix the row or pass bad_times='empty'"
                        ) from exc
                key = row["id"] or str(len(posts))
                posts.append(LabelledPost(key, when, row["text"] or "", row["event"]))
        except (UnicodeDecodeError, csv.Error) as exc:
            raise ParseError(f"{path}: not a UTF-8 CSV file ({exc})") from exc
    if not posts:
        raise ParseError(f"{path}: no rows")
    return feeding_order(posts)


def feeding_order(posts: list[LabelledPost]) -> list[LabelledPost]:
    """Stable time order; time-less rows ride behind the timed row before them in the file."""
    if all(p.time is None for p in posts):
        return posts
    first = min(p.time.timestamp() for p in posts if p.time is not None)
    anchors: list[float] = []
    anchor = first
    for post in posts:
        if post.time is not None:
            anchor = post.time.timestamp()
        anchors.append(anchor)
    order = sorted(range(len(posts)), key=lambda i: (anchors[i], i))
    return [posts[i] for i in order]


def cluster_posts(
    posts: list[LabelledPost], config: EventConfig | None = None
) -> tuple[list[str], float]:
    """Event id per post (keys made unique by row) and the seconds spent clustering."""
    clusterer = EventClusterer(config or EventConfig())
    items = [EventItem(key=f"{i}:{p.key}", text=p.text, time=p.time) for i, p in enumerate(posts)]
    labels: list[str] = []
    start = time.perf_counter()
    for offset in range(0, len(items), BATCH):
        labels.extend(clusterer.add(items[offset : offset + BATCH]))
    # A post belongs to the event it ended up in: events may merge after it was assigned.
    labels = [clusterer.resolve(label) for label in labels]
    return labels, time.perf_counter() - start


def evaluate_events(
    path: Path,
    *,
    config: EventConfig | None = None,
    out: TextIO = sys.stdout,
    bad_times: str = "error",
) -> dict[str, float | int]:
    """Cluster the file's posts, print a short report and, last, the contract JSON line."""
    posts = load_labelled_posts(Path(path), bad_times=bad_times)
    labels, seconds = cluster_posts(posts, config)
    gold = [p.event for p in posts]
    scores = score_clustering(labels, gold)
    sizes = Counter(labels)
    result: dict[str, float | int] = {
        "n": len(posts),
        "bcubed_precision": round(scores.bcubed_precision, 4),
        "bcubed_recall": round(scores.bcubed_recall, 4),
        "bcubed_f1": round(scores.bcubed_f1, 4),
        "nmi": round(scores.nmi, 4),
        "docs_per_s": round(len(posts) / seconds) if seconds > 0 else 0,
    }
    timed = sum(p.time is not None for p in posts)
    print(f"file: {path}", file=out)
    print(f"posts: {len(posts)} ({timed} with a time), gold events: {len(set(gold))}", file=out)
    print(
        f"predicted events: {len(sizes)} (of size >= 5: {sum(s >= 5 for s in sizes.values())}, "
        f"singletons: {sum(s == 1 for s in sizes.values())})",
        file=out,
    )
    print(
        f"B-cubed precision {result['bcubed_precision']:.4f}  recall {result['bcubed_recall']:.4f}"
        f"  F1 {result['bcubed_f1']:.4f}  NMI {result['nmi']:.4f}",
        file=out,
    )
    print(f"speed: {result['docs_per_s']} posts/s (clustering only, one process)", file=out)
    print(json.dumps(result), file=out)
    return result
