"""The "lexicon" backend: a transparent scorer an analyst can read and edit.

A post's score is the sum of the valences of the lexicon terms it contains,
squashed like VADER's compound (`s / sqrt(s^2 + 15)`); inside a band around 0
it is neutral. Each term's contribution can be shown to a user.

* English: the VADER lexicon (MIT licence), words matched after negation
  marking, a negated word counting -0.5 times its valence.
* Chinese: terms chosen by smoothed log-odds of positive vs negative posts in
  the training data (Weibo emoji codes and character 2-3 grams, see
  `build_zh_lexicon`), matched anywhere in the folded text with Aho-Corasick.

Files are `term<TAB>valence` lines; a `# band<TAB>x` comment sets the neutral band.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import ahocorasick

from groundswell.analyze.fold import fold
from groundswell.analyze.sentiment.base import Sentiment, languages, model_language
from groundswell.analyze.sentiment.features import MAX_CHARS, en_words, zh_features
from groundswell.errors import ConfigError

__all__ = ["LexiconSentimentAnalyzer", "build_zh_lexicon", "lexicon_analyzer", "write_lexicon"]

DATA = Path(__file__).parent / "data"
DEFAULT_BAND = {"en": 0.05, "zh": 0.3}  # VADER's customary +-0.05 for English
_ALPHA = 15.0
_MIN_COUNT = 20
_MAX_TERMS = 4000


def read_lexicon_file(path: Path) -> tuple[dict[str, float], float | None]:
    """Terms and valences, and the neutral band when the file states one."""
    if not path.is_file():
        raise ConfigError(f"sentiment lexicon not found: {path}")
    terms: dict[str, float] = {}
    band = None
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if line.startswith("# band") and len(parts) == 2:
            band = float(parts[1])
        elif line and not line.startswith("#") and len(parts) >= 2:
            terms[parts[0]] = float(parts[1])
    return terms, band


def write_lexicon(path: Path, terms: dict[str, float], band: float, source: str) -> None:
    """Write a lexicon file (sorted by valence, so the strongest terms are easy to review)."""
    lines = [f"# term\tvalence. {source}", f"# band\t{band:g}"]
    lines += [f"{t}\t{v:.3f}" for t, v in sorted(terms.items(), key=lambda kv: (kv[1], kv[0]))]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def build_zh_lexicon(texts: Sequence[str], labels: Sequence[str]) -> dict[str, float]:
    """Chinese terms whose smoothed log-odds of positive vs negative posts is strong."""
    counts = {"positive": Counter[str](), "negative": Counter[str]()}
    totals = Counter(labels)
    for text, label in zip(texts, labels, strict=True):
        if label in counts:
            grams = {f for f in zh_features(text) if len(f) > 1 and "\x01" not in f}
            counts[label].update(grams)
    pos, neg = counts["positive"], counts["negative"]
    prior = math.log((totals["positive"] + 1) / (totals["negative"] + 1))
    scored = {}
    for term in pos.keys() | neg.keys():
        p, n = pos[term], neg[term]
        if p + n >= _MIN_COUNT:
            value = math.log((p + 1) / (n + 1)) - prior
            if abs(value) >= 1.0:
                scored[term.removeprefix("e") if term.startswith("e[") else term] = value
    strongest = sorted(scored, key=lambda t: -abs(scored[t]))[:_MAX_TERMS]
    return {t: round(scored[t], 3) for t in strongest}


def _squash(score: float) -> float:
    return score / math.sqrt(score * score + _ALPHA)


class LexiconSentimentAnalyzer:
    """Sum of term valences per post; the band around 0 is neutral."""

    name = "lexicon"

    def __init__(self, folder: Path = DATA) -> None:
        self.folder = Path(folder)
        self.en, en_band = read_lexicon_file(self.folder / "lexicon_en.tsv")
        self.zh, zh_band = read_lexicon_file(self.folder / "lexicon_zh.tsv")
        self.band = {"en": en_band or DEFAULT_BAND["en"], "zh": zh_band or DEFAULT_BAND["zh"]}
        self._automaton = ahocorasick.Automaton()
        for term, value in self.zh.items():
            self._automaton.add_word(term, value)
        self._automaton.make_automaton()

    def __reduce__(self) -> tuple[type, tuple[Path]]:
        return (type(self), (self.folder,))

    def band_for(self, texts: Sequence[str], labels: Sequence[str]) -> float:
        """The neutral band (of the squashed score) that maximises macro-F1 on zh texts."""
        from sklearn.metrics import f1_score

        compounds = [_squash(self.score(t, "zh")) for t in texts]
        best = (-1.0, DEFAULT_BAND["zh"])
        for band in (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
            predicted = [
                "positive" if c >= band else "negative" if c <= -band else "neutral"
                for c in compounds
            ]
            best = max(best, (float(f1_score(labels, predicted, average="macro")), band))
        return best[1]

    def score(self, text: str, lang: str) -> float:
        """The raw valence sum of a post (before squashing)."""
        if lang == "zh":
            if not self.zh:
                return 0.0
            return sum(v for _, v in self._automaton.iter(fold(text[:MAX_CHARS])))
        total = 0.0
        for word in en_words(text):
            if word.startswith("n:"):
                total -= 0.5 * self.en.get(word[2:], 0.0)
            else:
                total += self.en.get(word, 0.0)
        return total

    def analyze(self, texts: Sequence[str], langs: Sequence[str] | None = None) -> list[Sentiment]:
        """One Sentiment per text; confidence grows with the size of the squashed score."""
        out = []
        for text, lang in zip(texts, languages(texts, langs), strict=True):
            if not text.strip():
                out.append(Sentiment("neutral", round(1 / 3, 4)))
                continue
            lang = model_language(text, lang)
            compound = _squash(self.score(text, lang))
            band = self.band[lang]
            if compound >= band:
                out.append(Sentiment("positive", round(0.5 + compound / 2, 4)))
            elif compound <= -band:
                out.append(Sentiment("negative", round(0.5 - compound / 2, 4)))
            else:
                out.append(Sentiment("neutral", round(1 - abs(compound) / band / 2, 4)))
        return out


def lexicon_analyzer(path: Path | None) -> LexiconSentimentAnalyzer:
    """Registry factory: the shipped lexicons, or a folder with lexicon_{en,zh}.tsv."""
    return LexiconSentimentAnalyzer(path or DATA)
