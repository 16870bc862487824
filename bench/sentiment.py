"""Our sentiment model beside SnowNLP (Chinese) and VADER (English): posts/s and macro-F1.

Run as `python -m bench.sentiment` from the project root (data: ../shared/data).
Held-out posts: the Weibo SMP2020 usual_eval and virus_eval sets, and fold 0
of the 5-fold split of the TweetEval validation tweets. The shipped model has
seen all of them, so by default the bench first trains a protocol model (zh on
virus_train + reviews, en on TweetEval folds 1-4 + airline head; ~1-2 min) and
scores that; `--model FILE` scores another model file instead. Speed is
measured on the held-out posts cycled to at least `-n` posts.

Baseline mappings to three classes (their customary thresholds):
* SnowNLP `sentiments` (probability of positive): < 0.4 negative, > 0.6
  positive, else neutral.
* VADER `compound`: <= -0.05 negative, >= 0.05 positive, else neutral.
Each runs on one core (one process, no threads); language is given, not timed.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from sklearn.model_selection import StratifiedKFold

from groundswell.analyze.sentiment import load_analyzer
from groundswell.analyze.sentiment.model import save_models
from groundswell.analyze.sentiment.train import (
    EN_AUX,
    SEED,
    ZH_REVIEWS,
    read_labelled,
    read_lexicon,
    train_language,
)
from groundswell.evaluate.sentiment import read_sentiment_file, scores

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "sentiment"
ZH_TRAIN = DATA / "zh" / "weibo_smp2020_virus_train.csv"
ZH_FILES = [
    DATA / "zh" / "weibo_smp2020_usual_eval.csv",
    DATA / "zh" / "weibo_smp2020_virus_eval.csv",
]
EN_FILE = DATA / "en" / "tweeteval_val.csv"
THRESHOLDS = "snownlp p<0.4 neg, p>0.6 pos; vader compound <=-0.05 neg, >=0.05 pos"
Labelled = tuple[list[str], list[str]]


def _load(paths: Sequence[Path]) -> Labelled:
    texts: list[str] = []
    labels: list[str] = []
    for path in paths:
        t, y = read_sentiment_file(path)
        texts += t
        labels += y
    return texts, labels


def _en_split() -> tuple[Labelled, Labelled]:
    """TweetEval folds 1-4 (train) and fold 0 (held out), as in train.py's protocol."""
    texts, labels = read_labelled(EN_FILE)
    folds = StratifiedKFold(5, shuffle=True, random_state=SEED).split(texts, labels)
    train, test = next(iter(folds))
    return (
        ([texts[i] for i in train], [labels[i] for i in train]),
        ([texts[i] for i in test], [labels[i] for i in test]),
    )


def protocol_model(path: Path) -> Path:
    """A model that never saw the bench's held-out posts, written to `path`."""
    reviews = [read_labelled(DATA / "zh" / f"{s}.csv") for s in ZH_REVIEWS]
    review_set = ([t for r in reviews for t in r[0]], [y for r in reviews for y in r[1]])
    airline = [read_labelled(DATA / "en" / f"{s}.csv") for s in EN_AUX]
    models = {
        "zh": train_language("zh", read_labelled(ZH_TRAIN), [review_set]),
        "en": train_language("en", _en_split()[0], airline, lexicon=read_lexicon()),
    }
    save_models(models, path)
    return path


def snownlp_label(text: str) -> str:
    from snownlp import SnowNLP

    p = SnowNLP(text).sentiments if text.strip() else 0.5
    return "negative" if p < 0.4 else "positive" if p > 0.6 else "neutral"


def vader_labeller() -> Callable[[str], str]:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    vader = SentimentIntensityAnalyzer()

    def label(text: str) -> str:
        c = vader.polarity_scores(text)["compound"]
        return "negative" if c <= -0.05 else "positive" if c >= 0.05 else "neutral"

    return label


def _run(
    predict: Callable[[list[str]], list[str]], texts: list[str], gold: list[str], n: int
) -> dict:
    """Macro-F1 and accuracy on the posts; posts/s over them cycled to at least n posts."""
    predicted = predict(texts)
    timed = texts * max(1, -(-n // len(texts)))
    start = time.perf_counter()
    predict(timed)
    elapsed = time.perf_counter() - start
    return {"posts_per_s": round(len(timed) / elapsed), **scores(gold, predicted)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None, help="builtin model file to use")
    parser.add_argument("-n", type=int, default=10_000, help="posts per speed figure, at least")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        model = args.model or protocol_model(Path(folder) / "protocol.npz")
        ours = load_analyzer("builtin", path=model)
    result: dict[str, object] = {
        "model": str(args.model or "protocol (held-out)"),
        "unit": "posts/s, one core",
        "baseline_thresholds": THRESHOLDS,
    }
    for lang, (texts, gold), baseline_name, baseline, n in (
        ("zh", _load(ZH_FILES), "snownlp", lambda ts: [snownlp_label(t) for t in ts], 1),
        ("en", _en_split()[1], "vader", lambda ts, f=vader_labeller(): [f(t) for t in ts], 2000),
    ):
        ours.analyze(texts[:50], [lang] * 50)
        mine = _run(
            lambda ts, lang=lang: [r.label for r in ours.analyze(ts, [lang] * len(ts))],
            texts,
            gold,
            args.n,
        )
        theirs = _run(baseline, texts, gold, n)
        result[lang] = {"n": len(texts), "ours": mine, baseline_name: theirs}
        print(f"{lang}: {len(texts)} held-out posts  ours {mine}  {baseline_name} {theirs}")
    result["loadavg_1min"] = round(os.getloadavg()[0], 2)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
