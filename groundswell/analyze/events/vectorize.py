"""Posts to sparse TF-IDF vectors (dicts of floats), with document frequencies learned online.

Terms are taken from folded text (`groundswell.analyze.fold`): Han runs give
character bigrams (no jieba: bigrams cost a regex and a slice, and compare
Simplified and Traditional alike once folded), other runs give lower-cased
words minus stop words, digits-only tokens and single letters. URLs and
@mentions are dropped. Hashtags (`#word`, Weibo's `#topic#`) and capitalised
words in the original text (a cheap stand-in for named entities) carry extra
weight, because in crisis posts they name the happening.

IDF is incremental (`DocumentFrequencies`), so the vectoriser needs no training
file and adapts to whatever stream it is fed; early posts see flat weights.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from operator import mul

from groundswell.analyze.events.stopwords import STOP_WORDS
from groundswell.analyze.fold import fold

__all__ = [
    "DocumentFrequencies",
    "SparseVector",
    "TermOptions",
    "extract_terms",
    "observe_and_vectorize",
    "vectorize",
]

SparseVector = dict[str, float]

# Posts longer than this are cut before analysis: the happening is named early,
# and a 1 MB post must cost no more than a long one.
MAX_CHARS = 4000

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef\U00030000-\U0003134f"
_NOISE = re.compile(r"https?://\S+|www\.\S+|@[\w.-]+")
_WEIBO_TOPIC = re.compile(rf"#([^#\s]*[{_HAN}][^#]{{0,30}}?)#")
# Group 1: "#" when the run is a hashtag; group 2: a Han run; group 3: another word.
_RUNS = re.compile(rf"(#?)(?:([{_HAN}]+)|([^\W_{_HAN}]+))")
_CAPITALISED = re.compile(r"(?<![\w#@])[A-Z][\w'-]*[A-Za-z]")


@dataclass(frozen=True, slots=True)
class TermOptions:
    """Extra weight for the terms that name a happening, and how far words are conflated."""

    hashtag: float = 3.0
    capitalised: float = 2.0
    topic: float = 2.0  # a whole Weibo #topic# as one term
    strip_accents: bool = True  # "mégantic" = "megantic", "tragédia" = "tragedia"
    word_pairs: float = 1.0  # weight of adjacent-word pairs ("black friday" vs "black nativity")
    stem: bool = False  # a plural "s" is dropped: "floods" = "flood"


@lru_cache(maxsize=65536)
def _conflate(word: str, strip_accents: bool, stem: bool) -> str:
    if strip_accents and not word.isascii():
        decomposed = unicodedata.normalize("NFKD", word)
        word = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    if stem and len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    return word


def extract_terms(text: str, weights: TermOptions = TermOptions()) -> Counter[str]:
    """Term -> boosted count for one post; empty for text with no usable terms."""
    if len(text) > MAX_CHARS:
        text = text[:MAX_CHARS]
        space = text.rfind(" ")
        if space > MAX_CHARS // 2:  # do not leave half a word behind
            text = text[:space]
    counts: Counter[str] = Counter()
    if not text:
        return counts
    capitalised: set[str] = set()
    if weights.capitalised != 1.0:
        capitalised = {
            _conflate(fold(word), weights.strip_accents, weights.stem)
            for word in _CAPITALISED.findall(text)
        }
    folded = _NOISE.sub(" ", fold(text))
    conflate = weights.strip_accents or weights.stem
    for topic in _WEIBO_TOPIC.findall(folded):
        counts["#" + topic.strip()] += weights.topic
    previous = ""
    pairs = weights.word_pairs
    for hashtag, han, word in _RUNS.findall(folded):
        if han:
            previous = ""
            if len(han) == 1:
                counts[han] += 1.0
            for start in range(len(han) - 1):
                counts[han[start : start + 2]] += 1.0
        elif len(word) > 1 and word not in STOP_WORDS and not word.isdigit():
            if conflate:
                word = _conflate(word, weights.strip_accents, weights.stem)
            if pairs and previous:
                counts[previous + " " + word] += pairs
            previous = word
            if hashtag:
                counts[word] += weights.hashtag
            elif word in capitalised:
                counts[word] += weights.capitalised
            else:
                counts[word] += 1.0
    return counts


@dataclass(slots=True)
class DocumentFrequencies:
    """How many posts contained each term: a fixed background plus what the stream has shown."""

    docs: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    background_docs: int = 0
    background: dict[str, int] = field(default_factory=dict)

    def observe(self, terms: Counter[str] | dict[str, float]) -> None:
        self.docs += 1
        counts = self.counts
        for term in terms:
            counts[term] = counts.get(term, 0) + 1

    def idf(self, term: str) -> float:
        documents = self.docs + self.background_docs
        seen = self.counts.get(term, 0) + self.background.get(term, 0)
        return math.log((documents + 1) / (seen + 1)) + 1.0

    def prune(self, keep: int) -> None:
        """Forget all but the `keep` commonest stream terms, so state stays bounded."""
        if len(self.counts) > keep:
            top = sorted(self.counts.items(), key=lambda kv: kv[1], reverse=True)[:keep]
            self.counts = dict(top)


def vectorize(
    terms: Counter[str], frequencies: DocumentFrequencies, idf_power: float = 1.0
) -> SparseVector:
    """Unit-length sublinear TF-IDF vector of one post's terms (empty stays empty).

    `idf_power` > 1 sharpens IDF: names and rare words then dominate a post's
    vector, and posts on the same broad topic (two film reviews) look less alike.
    """
    log = math.log
    log_docs = log(frequencies.docs + frequencies.background_docs + 1)
    seen = frequencies.counts.get
    background = frequencies.background.get
    # Sublinear TF, kept linear below 1 (a lone word pair) so it stays positive.
    vector = {
        term: (1.0 + log(tf) if tf >= 1.0 else tf)
        * (log_docs - log(seen(term, 0) + background(term, 0) + 1) + 1.0) ** idf_power
        for term, tf in terms.items()
    }
    weights = vector.values()
    norm = math.sqrt(sum(map(mul, weights, weights)))
    if norm == 0.0:
        return {}
    return {term: w / norm for term, w in vector.items()}


def observe_and_vectorize(
    terms: Counter[str] | dict[str, float],
    frequencies: DocumentFrequencies,
    idf_power: float = 1.0,
) -> SparseVector:
    """`frequencies.observe(terms)`, then `vectorize(terms, frequencies, idf_power)`, in one pass.

    The same vector, bit for bit, with one look-up of each term's count instead
    of two: the count dicts are large, so each look-up is a likely cache miss.
    """
    frequencies.docs += 1
    log = math.log
    log_docs = log(frequencies.docs + frequencies.background_docs + 1)
    counts = frequencies.counts
    seen = counts.get
    background = frequencies.background.get
    vector: dict[str, float] = {}
    for term, tf in terms.items():
        count = counts[term] = seen(term, 0) + 1
        vector[term] = (1.0 + log(tf) if tf >= 1.0 else tf) * (
            log_docs - log(count + background(term, 0) + 1) + 1.0
        ) ** idf_power
    weights = vector.values()
    norm = math.sqrt(sum(map(mul, weights, weights)))
    if norm == 0.0:
        return {}
    return {term: w / norm for term, w in vector.items()}
