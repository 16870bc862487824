"""`groundswell train sentiment`: build the shipped model from the shared data and corrections.

Reproducible: fixed seeds, fixed folds, deterministic solvers (lbfgs). It first
measures the held-out protocol (the figures in docs/analysis/sentiment.md),
then trains the model that ships on all local data plus analysts' corrections.

* Chinese: the main classifier learns from Weibo SMP2020 posts (3 classes); a
  binary head trained on the product/hotel/food review sets feeds it a
  polarity score. Held out: train on virus_train, report usual_eval and
  virus_eval.
* English: the main classifier learns from the TweetEval validation tweets; a
  3-class head trained on the US airline tweets (one narrow domain, so it is a
  head, not pooled data) and VADER lexicon sums feed it. Held out: 5-fold
  stratified cross-validation over tweeteval_val (seed 0).

Corrections (text, label) join the main training set of their post's language
with weight `CORRECTION_WEIGHT`.
"""

from __future__ import annotations

import csv
import shutil
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold

from groundswell.analyze.language import detect_language
from groundswell.analyze.sentiment.features import features
from groundswell.analyze.sentiment.lexicon import (
    DEFAULT_BAND,
    LexiconSentimentAnalyzer,
    build_zh_lexicon,
    write_lexicon,
)
from groundswell.analyze.sentiment.model import LABELS, LanguageModel, save_models, vectorise
from groundswell.errors import ConfigError

__all__ = ["CORRECTION_WEIGHT", "read_labelled", "train_language", "train_sentiment"]

CORRECTION_WEIGHT = 5.0
SEED = 0
MAX_FEATURES = 300_000
MIN_DF = 2
C_MAIN = {"zh": 3.0, "en": 3.0}
C_HEAD = 3.0
ZH_MAIN = ("weibo_smp2020_virus_train", "weibo_smp2020_virus_eval", "weibo_smp2020_usual_eval")
ZH_REVIEWS = ("chnsenticorp_hotel", "waimai_10k", "online_shopping_10_cats", "nlpcc2014_reviews")
EN_MAIN = ("tweeteval_val",)
EN_AUX = ("us_airline_tweets",)
LEXICON_EN = Path(__file__).parent / "data" / "lexicon_en.tsv"

Labelled = tuple[list[str], list[str]]


def read_labelled(path: Path) -> Labelled:
    """Texts and labels of a `text,label` CSV (other columns ignored)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r.get("text") and r.get("label")]
    return [r["text"] for r in rows], [r["label"] for r in rows]


def read_lexicon(path: Path = LEXICON_EN) -> dict[str, float]:
    """A `term<TAB>value` file; lines starting with # are comments."""
    lexicon: dict[str, float] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            term, value = line.split("\t")[:2]
            lexicon[term] = float(value)
    return lexicon


def _concat(sets: Sequence[Labelled]) -> Labelled:
    return [t for s in sets for t in s[0]], [y for s in sets for y in s[1]]


def _vocabulary(docs: Sequence[Sequence[str]]) -> tuple[dict[str, int], np.ndarray]:
    """The MAX_FEATURES most frequent features (document frequency >= MIN_DF) and their idf."""
    df: Counter[str] = Counter()
    for doc in docs:
        df.update(set(doc))
    kept = [(f, n) for f, n in df.items() if n >= MIN_DF]
    kept.sort(key=lambda item: (-item[1], item[0]))
    kept = kept[:MAX_FEATURES]
    vocab = {f: i for i, (f, _) in enumerate(kept)}
    counts = np.array([n for _, n in kept], dtype=np.float64)
    idf = np.log((1 + len(docs)) / (1 + counts)) + 1.0
    return vocab, idf.astype(np.float32)


def _fit(
    x: sp.spmatrix, y: Sequence[str], c: float, weight: np.ndarray | None
) -> LogisticRegression:
    model = LogisticRegression(C=c, max_iter=3000, class_weight="balanced", random_state=SEED)
    return model.fit(x, list(y), sample_weight=weight)


def train_language(
    lang: str,
    main: Labelled,
    aux: Sequence[Labelled] = (),
    *,
    main_weights: np.ndarray | None = None,
    lexicon: dict[str, float] | None = None,
) -> LanguageModel:
    """One language model: heads on the auxiliary sets, then the main classifier stacked on them."""
    if set(main[1]) != set(LABELS):
        raise ConfigError(f"{lang} training data must hold all of {LABELS}; got {set(main[1])}")
    main_docs = [features(t, lang) for t in main[0]]
    aux_docs = [[features(t, lang) for t in texts] for texts, _ in aux]
    vocab, idf = _vocabulary(main_docs + [d for docs in aux_docs for d in docs])
    head_columns: list[np.ndarray] = []
    head_bias: list[float] = []
    for docs, (_, labels) in zip(aux_docs, aux, strict=True):
        if len(set(labels)) < 2:
            raise ConfigError(f"an auxiliary {lang} training set holds one class only")
        head = _fit(vectorise(docs, vocab, idf), labels, C_HEAD, None)
        head_columns.extend(head.coef_)
        head_bias.extend(head.intercept_)
    heads = np.array(head_columns, dtype=np.float32).reshape(-1, len(idf)).T
    bias_array = np.array(head_bias, dtype=np.float32)
    model = LanguageModel(
        lang, vocab, idf, heads, bias_array, np.zeros((0, 3), np.float32), np.zeros(3), lexicon
    )
    x = vectorise(main_docs, vocab, idf)
    dense = model.dense_inputs(main[0], np.asarray(x @ heads) + bias_array)
    clf = _fit(sp.hstack([x, sp.csr_matrix(dense)]).tocsr(), main[1], C_MAIN[lang], main_weights)
    if tuple(clf.classes_) != LABELS:
        raise ConfigError(f"unexpected classes {clf.classes_}")
    size = len(idf)
    model.weights = np.hstack([clf.coef_[:, :size].T, heads]).astype(np.float32)
    model.dense_weights = clf.coef_[:, size:].T.astype(np.float32)
    model.bias = clf.intercept_.astype(np.float32)
    return model


def _scores(model: LanguageModel, data: Labelled) -> dict[str, float]:
    predicted = [LABELS[i] for i in model.probabilities(data[0]).argmax(axis=1)]
    return {
        "n": len(data[0]),
        "macro_f1": round(float(f1_score(data[1], predicted, average="macro")), 4),
        "accuracy": round(float(accuracy_score(data[1], predicted)), 4),
    }


def _load(folder: Path, stems: Sequence[str]) -> dict[str, Labelled]:
    return {s: read_labelled(folder / f"{s}.csv") for s in stems if (folder / f"{s}.csv").exists()}


def _heldout_zh(zh: dict[str, Labelled], reviews: list[Labelled], out: TextIO) -> dict:
    train = zh.get("weibo_smp2020_virus_train")
    if train is None:
        return {}
    model = train_language("zh", train, [_concat(reviews)] if reviews else [])
    figures = {}
    for stem in ("weibo_smp2020_usual_eval", "weibo_smp2020_virus_eval"):
        if stem in zh:
            figures[f"zh.{stem}"] = _scores(model, zh[stem])
            print(f"held-out zh {stem}: {figures[f'zh.{stem}']}", file=out, flush=True)
    return figures


def _heldout_en(main: Labelled, aux: list[Labelled], lexicon: dict, out: TextIO) -> dict:
    texts, labels = np.array(main[0], dtype=object), np.array(main[1])
    folds = StratifiedKFold(5, shuffle=True, random_state=SEED).split(texts, labels)
    results = []
    for k, (train, test) in enumerate(folds):
        model = train_language(
            "en", (list(texts[train]), list(labels[train])), aux, lexicon=lexicon
        )
        results.append(_scores(model, (list(texts[test]), list(labels[test]))))
        print(f"held-out en tweeteval fold {k}: {results[-1]}", file=out, flush=True)
    mean = {key: round(float(np.mean([r[key] for r in results])), 4) for key in results[0]}
    mean["n"] = int(sum(r["n"] for r in results))
    print(f"held-out en tweeteval 5-fold mean: {mean}", file=out, flush=True)
    return {"en.tweeteval_5fold": mean, "en.tweeteval_fold0": results[0]}


def _train_zh_lexicon(weibo: Labelled, reviews: list[Labelled], folder: Path, out: TextIO) -> None:
    """Chinese log-odds lexicon for the lexicon backend; its neutral band is fitted on Weibo."""
    texts, labels = _concat([weibo, *reviews])
    terms = build_zh_lexicon(texts, labels)
    path = folder / "lexicon_zh.tsv"
    write_lexicon(path, terms, DEFAULT_BAND["zh"], "Log-odds over the local training data.")
    if not (folder / "lexicon_en.tsv").exists():
        shutil.copyfile(LEXICON_EN, folder / "lexicon_en.tsv")
    band = LexiconSentimentAnalyzer(folder).band_for(*weibo)
    write_lexicon(path, terms, band, "Log-odds over the local training data.")
    print(f"wrote {path} ({len(terms)} terms, neutral band {band})", file=out, flush=True)


def train_sentiment(
    output: Path,
    *,
    data_dir: Path,
    corrections: Sequence[tuple[str, str]] = (),
    out: TextIO = sys.stdout,
    heldout: bool = True,
) -> dict:
    """Measure the held-out protocol, then train on everything and write the model to `output`."""
    folder = Path(data_dir) / "sentiment"
    if not folder.is_dir():
        raise ConfigError(f"no sentiment data under {data_dir} (expected {folder})")
    bad = [label for _, label in corrections if label not in LABELS]
    if bad:
        raise ConfigError(f"corrections hold unknown labels {sorted(set(bad))}; use {LABELS}")
    zh = _load(folder / "zh", ZH_MAIN)
    reviews = list(_load(folder / "zh", ZH_REVIEWS).values())
    en = _load(folder / "en", EN_MAIN)
    airline = list(_load(folder / "en", EN_AUX).values())
    lexicon = read_lexicon()
    if not zh or not en:
        raise ConfigError(f"need Weibo SMP2020 files in {folder / 'zh'} and {folder / 'en'}")
    figures: dict = {}
    if heldout:
        print("held-out protocol (these figures are the ones to quote)", file=out, flush=True)
        figures.update(_heldout_zh(zh, reviews, out))
        figures.update(_heldout_en(_concat(list(en.values())), airline, lexicon, out))
    fixes: dict[str, Labelled] = {"zh": ([], []), "en": ([], [])}
    for text, label in corrections:
        lang = "zh" if detect_language(text) == "zh" else "en"
        fixes[lang][0].append(text)
        fixes[lang][1].append(label)
    models = {}
    for lang, base, aux, lex in (
        ("zh", list(zh.values()), [_concat(reviews)] if reviews else [], None),
        ("en", list(en.values()), airline, lexicon),
    ):
        main = _concat([*base, fixes[lang]])
        weights = np.ones(len(main[0]))
        weights[len(main[0]) - len(fixes[lang][0]) :] = CORRECTION_WEIGHT
        print(
            f"training shipped {lang} model on {len(main[0])} posts "
            f"({len(fixes[lang][0])} corrections) + {sum(len(a[0]) for a in aux)} auxiliary",
            file=out,
            flush=True,
        )
        models[lang] = train_language(lang, main, aux, main_weights=weights, lexicon=lex)
    save_models(models, Path(output))
    _train_zh_lexicon(_concat([*zh.values(), fixes["zh"]]), reviews, Path(output).parent, out)
    print(f"wrote {output} ({Path(output).stat().st_size:,} bytes)", file=out, flush=True)
    return figures
