"""Fold text for matching: the forms a reader treats as the same word become one string.

Matching (schemes, repost merging, event terms) runs on folded text; the
original text is what the store keeps and the UI shows. Folding is:

* NFKC, which turns full-width Latin letters, digits and punctuation into
  their ASCII forms and composes accents;
* case folding;
* Traditional to Simplified Chinese with OpenCC's `t2s` table (phrase-level,
  so one-to-many characters such as 發/髮 both fold to 发 correctly).

Folding keeps the length of most text but not all of it (NFKC can expand a
ligature), so a position found in folded text is a position in folded text.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import opencc

__all__ = ["fold", "to_simplified"]

_SURROGATES = re.compile("[\ud800-\udfff]")


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional Chinese to Simplified; other scripts pass through unchanged."""
    return _t2s().convert(_SURROGATES.sub("\ufffd", text)) if text else text


def fold(text: str) -> str:
    """The matching form of `text`: NFKC, case-folded, Simplified Chinese."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text).casefold()
    if text.isascii():
        return text
    # OpenCC takes UTF-8 and refuses lone surrogates (broken UTF-16 from a source).
    text = _SURROGATES.sub("\ufffd", text)
    return _t2s().convert(text)
