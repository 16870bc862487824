"""Search tokens for the full-text index and for queries, Chinese and everything else.

Both sides normalise the same way (NFKC, lower case, apostrophes dropped) and
split the text into two kinds of runs with one compiled regex:

* Han runs go through jieba (rjieba: the Rust port of jieba, with the same
  dictionary and algorithm): the index side in search mode (`cut_for_search`,
  precise-mode words plus their dictionary sub-words), the query side in precise
  mode (`cut`, HMM on). Search mode emits every precise-mode word of the same
  run, so a query word segmented from the same text is always in the index.
* Any other run of letters/digits is one token, with no stemming: "flights"
  does not match "flight", which keeps matches exact and predictable for
  monitors; add stemming later behind the `lang` argument if recall demands it.

Only Han runs reach jieba; Latin text is split by the regex alone. rjieba
gives the same tokens as Python's jieba 0.42 for 12,190 of the 12,192 SMP2020
Weibo posts (the two differ in HMM guesses on runs of one repeated character)
and segments 22-26x faster; Python's jieba was the ingest bottleneck.
Tokens are letters and digits only, so they never carry spaces or FTS syntax
(quotes, `*`, `^`, `:`, parentheses).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable

import rjieba

from groundswell.analyze.fold import to_simplified

__all__ = ["add_words", "index_tokens", "query_tokens", "warm_up"]

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef\U00030000-\U0003134f"
# Group 1: a Han stretch, which may span punctuation, spaces and emoji between Han
# characters: jieba splits its input into blocks at exactly those characters, so one
# call per stretch gives the same words as one call per run, for less overhead. The
# characters jieba keeps inside a block (+#&._%-) end a stretch instead. Group 2: a
# run of other letters/digits (Latin, Cyrillic, kana...).
_RUNS = re.compile(rf"([{_HAN}](?:[^\w+#&.%-]*[{_HAN}])*)|([^\W_{_HAN}]+)")
_BLOCK_SEPARATORS = re.compile(r"[^\w]+")
# Blocks longer than this are cut into slices. Python jieba's HMM is quadratic in
# a block's length (20,000 Han characters took a second); rjieba's is not, but the
# slices keep tokens the same as those already indexed. Real text has punctuation
# far more often; only machine-made or hostile text is affected.
_MAX_BLOCK = 256
_HAS_HAN = re.compile(f"[{_HAN}]")
_WORDS = re.compile(r"[^\W_]+")
_APOSTROPHES = str.maketrans("", "", "'\u2019\u02bc")


def warm_up() -> None:
    """Make sure jieba's dictionary is loaded (rjieba loads it on import, ~0.1 s)."""
    rjieba.cut("")


def index_tokens(text: str, lang: str) -> str:
    """Space-separated tokens to store in the full-text index.

    `lang` does not change the segmentation today: Han runs are segmented whatever
    the post's language, because queries are segmented without knowing it.
    """
    del lang  # reserved for language-specific handling (e.g. stemming)
    return " ".join(_tokens(text, rjieba.cut_for_search))


def query_tokens(text: str) -> list[str]:
    """Tokens of a search query, in order; each is present in the index of matching text."""
    return _tokens(text, rjieba.cut)


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower().translate(_APOSTROPHES)


def _tokens(text: str, cut: Callable[[str], Iterable[str]]) -> list[str]:
    text = _normalise(text)
    if not _HAS_HAN.search(text):
        return _WORDS.findall(text)
    # Traditional and Simplified are one language to a reader (and to a query):
    # index and query the Simplified form; jieba's dictionary is Simplified too.
    text = to_simplified(text)
    out: list[str] = []
    for han, other in _RUNS.findall(text):
        if not han:
            out.append(other)
        elif len(han) <= _MAX_BLOCK:
            # jieba also yields the punctuation/spaces inside the stretch; drop them.
            out.extend(filter(str.isalnum, cut(han)))
        else:
            for block in _BLOCK_SEPARATORS.split(han):
                for start in range(0, len(block), _MAX_BLOCK):
                    out.extend(filter(str.isalnum, cut(block[start : start + _MAX_BLOCK])))
    return out


def add_words(words: Iterable[str]) -> int:
    """Make monitoring keywords whole tokens for jieba, so a scheme's words are searchable.

    Only words with Han characters matter (others are split by the regex alone).
    Returns how many words were new. Call it in every process that tokenises.
    """
    added = 0
    for word in words:
        word = _normalise(word).strip()
        if word and _HAS_HAN.search(word) and word not in _ADDED_WORDS:
            rjieba.add_word(word, None, None)  # frequency as jieba suggests
            _ADDED_WORDS.add(word)
            added += 1
    return added


_ADDED_WORDS: set[str] = set()
