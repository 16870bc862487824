"""The built-in model: one linear classifier per language, run in numpy/scipy.

Each language model is a vocabulary of features (see `features`), an idf
weight per feature, and a weight matrix whose first three columns score the
classes directly and whose other columns are auxiliary "heads": linear models
trained on other corpora (product reviews, airline tweets) whose scores are fed
to the main classifier as extra inputs (stacking). English adds lexicon sums.
Everything is plain arrays in one `.npz` file: loading is fast, the model
pickles cheaply for a process pool, and no scikit-learn object is needed at
run time.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from groundswell.analyze.sentiment.features import en_words, features
from groundswell.errors import ConfigError

__all__ = ["LABELS", "LanguageModel", "load_models", "save_models", "vectorise"]

LABELS: tuple[str, str, str] = ("negative", "neutral", "positive")


def vectorise(
    docs: Sequence[Sequence[str]], vocab: dict[str, int], idf: np.ndarray
) -> sp.csr_matrix:
    """Sublinear tf-idf rows, L2-normalised, over a fixed vocabulary (unknown features ignored)."""
    get = vocab.get
    indptr = [0]
    indices: list[int] = []
    for doc in docs:
        ids = [i for i in map(get, doc) if i is not None]
        indices.extend(ids)
        indptr.append(len(indices))
    data = np.ones(len(indices), dtype=np.float32)
    matrix = sp.csr_matrix(
        (data, np.asarray(indices, dtype=np.int32), np.asarray(indptr, dtype=np.int64)),
        shape=(len(docs), len(idf)),
    )
    matrix.sum_duplicates()
    np.log(matrix.data, out=matrix.data)
    matrix.data += 1.0
    matrix.data *= idf[matrix.indices]
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / norms) @ matrix)


def lexicon_sums(texts: Sequence[str], lexicon: dict[str, float]) -> np.ndarray:
    """Per post: summed positive and negative lexicon valence (negation flips), scaled."""
    out = np.zeros((len(texts), 2), dtype=np.float32)
    for row, text in enumerate(texts):
        pos = neg = 0.0
        for word in en_words(text):
            negated = word.startswith("n:")
            value = lexicon.get(word[2:] if negated else word)
            if value is None:
                continue
            if negated:
                value = -0.5 * value
            if value > 0:
                pos += value
            else:
                neg -= value
        out[row] = (np.log1p(pos), np.log1p(neg))
    return out


@dataclass(slots=True)
class LanguageModel:
    """A trained linear model for one language (arrays only, so it pickles cheaply)."""

    lang: str
    vocab: dict[str, int]
    idf: np.ndarray  # (V,)
    weights: np.ndarray  # (V, 3 + heads): class columns, then auxiliary head columns
    head_bias: np.ndarray  # (heads,)
    dense_weights: np.ndarray  # (heads + lexicon inputs, 3)
    bias: np.ndarray  # (3,)
    lexicon: dict[str, float] | None = None  # English lexicon sums as extra inputs

    def dense_inputs(self, texts: Sequence[str], head_scores: np.ndarray) -> np.ndarray:
        """The stacked inputs: head scores, then lexicon sums when the model has a lexicon."""
        if self.lexicon is None:
            return head_scores
        return np.hstack([head_scores, lexicon_sums(texts, self.lexicon)])

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """Class probabilities (n, 3) in `LABELS` order."""
        if not texts:
            return np.zeros((0, 3), dtype=np.float32)
        matrix = vectorise([features(t, self.lang) for t in texts], self.vocab, self.idf)
        scores = np.asarray(matrix @ self.weights, dtype=np.float32)
        heads = scores[:, 3:] + self.head_bias
        logits = scores[:, :3] + self.dense_inputs(texts, heads) @ self.dense_weights + self.bias
        logits -= logits.max(axis=1, keepdims=True)
        np.exp(logits, out=logits)
        return logits / logits.sum(axis=1, keepdims=True)


def save_models(models: dict[str, LanguageModel], path: Path) -> None:
    """Write the models as one compressed `.npz` (float16 weights, vocabulary as text)."""
    arrays: dict[str, np.ndarray] = {}
    for lang, model in models.items():
        terms = sorted(model.vocab, key=model.vocab.__getitem__)
        arrays[f"{lang}.vocab"] = np.frombuffer("\n".join(terms).encode("utf-8"), np.uint8)
        arrays[f"{lang}.idf"] = model.idf.astype(np.float16)
        arrays[f"{lang}.weights"] = model.weights.astype(np.float16)
        arrays[f"{lang}.head_bias"] = model.head_bias.astype(np.float32)
        arrays[f"{lang}.dense_weights"] = model.dense_weights.astype(np.float32)
        arrays[f"{lang}.bias"] = model.bias.astype(np.float32)
        if model.lexicon is not None:
            text = "\n".join(f"{k}\t{v:g}" for k, v in model.lexicon.items())
            arrays[f"{lang}.lexicon"] = np.frombuffer(text.encode("utf-8"), np.uint8)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())


def load_models(path: Path) -> dict[str, LanguageModel]:
    """Read a file written by `save_models`; a missing or corrupt file is a ConfigError."""
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read sentiment model {path}: {exc}") from exc
    models: dict[str, LanguageModel] = {}
    for lang in sorted({key.split(".")[0] for key in arrays}):
        terms = arrays[f"{lang}.vocab"].tobytes().decode("utf-8").split("\n")
        lexicon = None
        if f"{lang}.lexicon" in arrays:
            lines = arrays[f"{lang}.lexicon"].tobytes().decode("utf-8").split("\n")
            lexicon = {k: float(v) for k, v in (line.split("\t") for line in lines if line)}
        models[lang] = LanguageModel(
            lang=lang,
            vocab={term: i for i, term in enumerate(terms)},
            idf=arrays[f"{lang}.idf"].astype(np.float32),
            weights=arrays[f"{lang}.weights"].astype(np.float32),
            head_bias=arrays[f"{lang}.head_bias"],
            dense_weights=arrays[f"{lang}.dense_weights"],
            bias=arrays[f"{lang}.bias"],
            lexicon=lexicon,
        )
    return models
