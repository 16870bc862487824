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
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from groundswell.analyze.sentiment.features import (
    char_grams,
    en_words,
    features,
    has_char_grams,
    zh_parts,
)
from groundswell.errors import ConfigError

__all__ = ["LABELS", "LanguageModel", "load_models", "save_models", "vectorise"]

LABELS: tuple[str, str, str] = ("negative", "neutral", "positive")
_GRAM_CACHE_WORDS = 200_000


def vectorise(
    docs: Sequence[Sequence[str]], vocab: dict[str, int], idf: np.ndarray
) -> sp.csr_matrix:
    """Sublinear tf-idf rows, L2-normalised, over a fixed vocabulary (unknown features ignored)."""
    get = vocab.get
    return tfidf_rows([[i for i in map(get, doc) if i is not None] for doc in docs], idf)


def tfidf_rows(id_lists: Sequence[Sequence[int]], idf: np.ndarray) -> sp.csr_matrix:
    """`vectorise` from feature ids (in any order: duplicates are summed)."""
    indptr = [0]
    indices: list[int] = []
    for ids in id_lists:
        indices.extend(ids)
        indptr.append(len(indices))
    return _tfidf(np.asarray(indices, dtype=np.int32), np.asarray(indptr, dtype=np.int64), idf)


def _tfidf(indices: np.ndarray, indptr: np.ndarray, idf: np.ndarray) -> sp.csr_matrix:
    data = np.ones(len(indices), dtype=np.float32)
    matrix = sp.csr_matrix((data, indices, indptr), shape=(len(indptr) - 1, len(idf)))
    matrix.sum_duplicates()
    np.log(matrix.data, out=matrix.data)
    matrix.data += 1.0
    matrix.data *= idf[matrix.indices]
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / norms) @ matrix)


def lexicon_sums(texts: Sequence[str], lexicon: dict[str, float]) -> np.ndarray:
    """Per post: summed positive and negative lexicon valence (negation flips), scaled."""
    return lexicon_sums_of_words([en_words(text) for text in texts], lexicon)


def lexicon_sums_of_words(
    word_lists: Sequence[Sequence[str]], lexicon: dict[str, float]
) -> np.ndarray:
    out = np.zeros((len(word_lists), 2), dtype=np.float32)
    for row, words in enumerate(word_lists):
        pos = neg = 0.0
        for word in words:
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


_CODE_BITS = 21  # a code point + 1 fits in 21 bits, so three fit in one uint64


def gram_key(gram: str) -> int:
    """One integer per 1-3 character string (lengths never collide: no zero digit)."""
    key = 0
    for char in gram:
        key = (key << _CODE_BITS) | (ord(char) + 1)
    return key


@dataclass(slots=True)
class GramTable:
    """The vocabulary's character 1-3 grams as sorted integer keys, for the Chinese model.

    Its features are every 1-3 gram of the text; making each one a Python string
    and hashing it into a 300,000-entry dict was two thirds of the model's time.
    Here a batch's grams are computed and looked up as arrays. Same ids, same rows.
    """

    keys: np.ndarray  # uint64, sorted
    ids: np.ndarray  # int32, the vocabulary id of each key

    @classmethod
    def of(cls, vocab: dict[str, int]) -> GramTable:
        grams = [(gram_key(term), i) for term, i in vocab.items() if 1 <= len(term) <= 3]
        grams.sort()
        keys = np.array([k for k, _ in grams], dtype=np.uint64)
        return cls(keys, np.array([i for _, i in grams], dtype=np.int32))

    def rows(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """CSR (indices, indptr) of the known 1-3 grams of each text."""
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        joined = "".join(texts).encode("utf-32-le", "surrogatepass")  # lone surrogates too
        codes = np.frombuffer(joined, dtype=np.uint32)
        codes = codes.astype(np.uint64) + np.uint64(1)
        doc = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
        shift = np.uint64(_CODE_BITS)
        same2 = doc[:-1] == doc[1:]  # a gram never spans two posts
        same3 = same2[:-1] & same2[1:]
        keys = np.concatenate(
            [
                codes,
                ((codes[:-1] << shift) | codes[1:])[same2],
                ((codes[:-2] << (shift + shift)) | (codes[1:-1] << shift) | codes[2:])[same3],
            ]
        )
        docs = np.concatenate([doc, doc[:-1][same2], doc[:-2][same3]])
        if not len(self.keys):
            keys = keys[:0]
        at = np.minimum(np.searchsorted(self.keys, keys), max(len(self.keys) - 1, 0))
        known = self.keys[at] == keys if len(keys) else np.zeros(0, dtype=bool)
        ids, docs = self.ids[at[known]], docs[known]
        order = np.argsort(docs, kind="stable")
        indptr = np.zeros(len(texts) + 1, dtype=np.int64)
        np.cumsum(np.bincount(docs, minlength=len(texts)), out=indptr[1:])
        return ids[order], indptr


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
    # Word -> ids of its character grams: words repeat, and their grams are most of
    # an English post's features. Bounded; rebuilt on demand after unpickling.
    _gram_ids: dict[str, tuple[int, ...]] = field(default_factory=dict, repr=False)
    _gram_table: GramTable | None = field(default=None, repr=False)

    def dense_inputs(
        self,
        texts: Sequence[str],
        head_scores: np.ndarray,
        words: Sequence[Sequence[str]] | None = None,
    ) -> np.ndarray:
        """The stacked inputs: head scores, then lexicon sums when the model has a lexicon.

        `words`: the texts' `en_words`, when the caller has them already.
        """
        if self.lexicon is None:
            return head_scores
        if words is None:
            words = [en_words(text) for text in texts]
        return np.hstack([head_scores, lexicon_sums_of_words(words, self.lexicon)])

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """Class probabilities (n, 3) in `LABELS` order."""
        if not texts:
            return np.zeros((0, 3), dtype=np.float32)
        # Each model's features as `vectorise(features(...))` makes them, by a faster road.
        words = [en_words(t) for t in texts] if self.lang == "en" else None
        if words is not None:
            matrix = tfidf_rows([self._en_ids(w) for w in words], self.idf)
        elif self.lang == "zh":
            matrix = self._zh_rows(texts)
        else:
            matrix = vectorise([features(t, self.lang) for t in texts], self.vocab, self.idf)
        scores = np.asarray(matrix @ self.weights, dtype=np.float32)
        dense = self.dense_inputs(texts, scores[:, 3:] + self.head_bias, words)
        logits = scores[:, :3] + dense @ self.dense_weights + self.bias
        logits -= logits.max(axis=1, keepdims=True)
        np.exp(logits, out=logits)
        return logits / logits.sum(axis=1, keepdims=True)

    def _zh_rows(self, texts: Sequence[str]) -> sp.csr_matrix:
        """`vectorise` of `zh_features`: emoji codes by dict, 1-3 grams by `GramTable`."""
        if self._gram_table is None:
            self._gram_table = GramTable.of(self.vocab)
        get = self.vocab.get
        parts = [zh_parts(text) for text in texts]
        gram_ids, gram_indptr = self._gram_table.rows([text for _, text in parts])
        indices: list[int] = []
        indptr = [0]
        for row, (emoji, _) in enumerate(parts):
            indices.extend(i for i in map(get, emoji) if i is not None)
            indices.extend(gram_ids[gram_indptr[row] : gram_indptr[row + 1]].tolist())
            indptr.append(len(indices))
        return _tfidf(
            np.asarray(indices, dtype=np.int32), np.asarray(indptr, dtype=np.int64), self.idf
        )

    def _en_ids(self, words: list[str]) -> list[int]:
        """Ids of `en_features_of_words(words)`, character grams looked up once per word."""
        get = self.vocab.get
        bigrams = (a + " " + b for a, b in itertools.pairwise(words))
        ids = [i for i in map(get, itertools.chain(words, bigrams)) if i is not None]
        cache = self._gram_ids
        for word in words:
            if not has_char_grams(word):
                continue
            grams = cache.get(word)
            if grams is None:
                if len(cache) >= _GRAM_CACHE_WORDS:
                    cache.clear()
                grams = tuple(i for i in map(get, char_grams(word)) if i is not None)
                cache[word] = grams
            ids.extend(grams)
        return ids


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
