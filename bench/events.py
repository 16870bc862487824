"""Event clustering quality and speed on the three labelled event sets, beside a k-means baseline.

Run as `python -m bench.events` from the project root (data: ../shared/data/events).
For each set it prints B-cubed precision/recall/F1, NMI and posts/s of
`EventClusterer` (shipped defaults) on:

* the held-out half: the defaults were tuned on the other half, split by gold
  event (CrisisLex: crises at odd positions in name order are held out, 6 of
  13; Google News: odd story ids, 76 of 152; Weibo: odd positions, 100 of 200);
* the whole file, labelled "tuned on this file" (it contains the tuning half).

Baseline: scikit-learn TfidfVectorizer + MiniBatchKMeans with k = the true
number of events, an oracle advantage no live stream has, and no time. Our
posts/s covers vectorising and clustering, one process; the baseline's covers
fit and predict of both steps. The last line is one JSON object.

`--stream N` also times `EventClusterer.add` alone on the pipeline
benchmark's mixed stream (the first N posts: alternating batches of 2,000
Chinese and English posts from `bench.data`), with terms computed beforehand
as the pipeline's worker stage does: what event clustering costs the
pipeline's main process, in CPU microseconds per post (best of three runs).
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

from sklearn.cluster import MiniBatchKMeans
from sklearn.feature_extraction.text import TfidfVectorizer

from bench import data
from groundswell.analyze.events import EventClusterer, EventConfig, EventItem
from groundswell.analyze.events.vectorize import extract_terms
from groundswell.evaluate.clustering_metrics import score_clustering
from groundswell.evaluate.events import LabelledPost, cluster_posts, load_labelled_posts

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "events"
SETS = {
    "crisislex_en": DATA / "en" / "crisislex_t26_dev.csv",
    "googlenews_en": DATA / "en" / "googlenews_titles.csv",
    "weibo_zh": DATA / "zh" / "weibo_cascades.csv",
}


def held_out_half(posts: list[LabelledPost], name: str) -> list[LabelledPost]:
    """The half of the gold events not used for tuning (see the module docstring)."""
    if name == "googlenews_en":
        return [p for p in posts if int(p.event) % 2 == 1]
    order = {event: i for i, event in enumerate(sorted({p.event for p in posts}))}
    return [p for p in posts if order[p.event] % 2 == 1]


def ours(posts: list[LabelledPost]) -> tuple[list[str], float]:
    labels, seconds = cluster_posts(posts, EventConfig())
    return labels, seconds


def kmeans_baseline(posts: list[LabelledPost], chinese: bool) -> tuple[list[str], float]:
    k = len({p.event for p in posts})
    if chinese:
        vectorizer = TfidfVectorizer(
            analyzer="char", ngram_range=(2, 2), sublinear_tf=True, min_df=2
        )
    else:
        vectorizer = TfidfVectorizer(stop_words="english", sublinear_tf=True, min_df=2)
    start = time.perf_counter()
    matrix = vectorizer.fit_transform([p.text for p in posts])
    model = MiniBatchKMeans(n_clusters=k, random_state=0, n_init=3, batch_size=2048)
    labels = model.fit_predict(matrix)
    return [str(label) for label in labels], time.perf_counter() - start


def measure(
    posts: list[LabelledPost], run: Callable[[list[LabelledPost]], tuple[list[str], float]]
) -> dict[str, float]:
    labels, seconds = run(posts)
    scores = score_clustering(labels, [p.event for p in posts])
    return {
        "n": len(posts),
        "bcubed_precision": round(scores.bcubed_precision, 4),
        "bcubed_recall": round(scores.bcubed_recall, 4),
        "bcubed_f1": round(scores.bcubed_f1, 4),
        "nmi": round(scores.nmi, 4),
        "posts_per_s": round(len(posts) / seconds) if seconds > 0 else 0,
        "events_found": len(set(labels)),
    }


def mixed_stream(n: int, batch_size: int = 2000) -> list[list[EventItem]]:
    """bench.pipeline's stream as EventItems with their terms already extracted."""
    weights = EventConfig().weights
    half = n // 2
    zh = data.iter_items("zh", half, batch_size)
    en = data.iter_items("en", n - half, batch_size)
    batches: list[list[EventItem]] = []
    for pair in itertools.zip_longest(zh, en):
        for lang, raw in zip(("zh", "en"), pair, strict=True):
            if not raw:
                continue
            batch = []
            for item in raw:
                text = "\n".join(part for part in (item.title, item.text) if part)
                terms = dict(extract_terms(text, weights))
                batch.append(
                    EventItem(item.external_id, text, item.published_at, lang, terms=terms)
                )
            batches.append(batch)
    return batches


def time_add(n: int, runs: int = 3) -> dict[str, object]:
    """CPU µs per post of EventClusterer.add on the mixed stream; best of `runs`."""
    batches = mixed_stream(n)
    best = float("inf")
    labels: list[str] = []
    for _ in range(runs):
        clusterer = EventClusterer(EventConfig())
        labels = []
        start = time.process_time()
        for batch in batches:
            labels.extend(clusterer.add(batch))
        best = min(best, time.process_time() - start)
        labels = [clusterer.resolve(label) for label in labels]
    digest = hashlib.blake2b(" ".join(labels).encode(), digest_size=6).hexdigest()
    return {
        "n": n,
        "add_us_per_post": round(best / n * 1e6, 1),
        "events": len(set(labels)),
        "assignments_digest": digest,
    }


def line(label: str, m: dict[str, float]) -> str:
    return (
        f"  {label:<34} P {m['bcubed_precision']:.3f}  R {m['bcubed_recall']:.3f}  "
        f"F1 {m['bcubed_f1']:.3f}  NMI {m['nmi']:.3f}  {m['posts_per_s']:>7} posts/s  "
        f"({m['events_found']} events, n={m['n']})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-baseline", action="store_true", help="skip the k-means baseline")
    parser.add_argument(
        "--stream", type=int, default=0, metavar="N", help="also time add() on N mixed posts"
    )
    args = parser.parse_args()
    result: dict[str, object] = {"unit": "B-cubed and NMI; posts/s on one process"}
    for name, path in SETS.items():
        # The Weibo file has four rows with a year-less time; they are fed as time-less.
        posts = load_labelled_posts(path, bad_times="empty")
        held_out = held_out_half(posts, name)
        chinese = name.endswith("_zh")
        print(f"{name}: {len(posts)} posts, {len({p.event for p in posts})} gold events")
        figures = {
            "held_out": measure(held_out, ours),
            "full_tuned_on_this_file": measure(posts, ours),
        }
        print(line("ours, held-out half", figures["held_out"]))
        print(line("ours, full file (tuned on this file)", figures["full_tuned_on_this_file"]))
        if not args.no_baseline:
            figures["kmeans_oracle_k_held_out"] = measure(
                held_out, lambda p, c=chinese: kmeans_baseline(p, c)
            )
            figures["kmeans_oracle_k_full"] = measure(
                posts, lambda p, c=chinese: kmeans_baseline(p, c)
            )
            print(
                line("tfidf+minibatch k-means, true k, half", figures["kmeans_oracle_k_held_out"])
            )
            print(line("tfidf+minibatch k-means, true k, full", figures["kmeans_oracle_k_full"]))
        result[name] = figures
    if args.stream:
        result["mixed_stream_add"] = timed = time_add(args.stream)
        print(f"EventClusterer.add on the mixed stream: {timed}")
    result["load_average_1min"] = round(os.getloadavg()[0], 2)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
