"""What a word, a token and a word boundary are, shared by the parser and the matcher.

All of this runs on folded text (`groundswell.analyze.fold.fold`). A token is
one Han or kana character (scripts written without spaces: each character
counts as one token, so NEAR/5 in Chinese means "within 5 characters") or a
run of other letters and digits. Han terms match anywhere (substring, the
norm for Chinese monitoring); a term's Latin/digit edge must sit on a word
boundary, so `art` does not match "party" but `iphone` matches "买iphone手机".
"""

from __future__ import annotations

import re

from groundswell.analyze.fold import fold

__all__ = ["SPACELESS", "TOKENS", "fold_text", "is_word_char", "phrase_words"]

# Han (as in analyze.tokenize) plus Japanese kana: scripts written without spaces.
SPACELESS = (
    "\u3040-\u30ff\u31f0-\u31ff"
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef\U00030000-\U0003134f"
)
TOKENS = re.compile(rf"[{SPACELESS}]|[^\W_{SPACELESS}]+")
_PHRASE_WORDS = re.compile(rf"[{SPACELESS}]+|[^\W_{SPACELESS}]+")
_SPACELESS_CHAR = re.compile(rf"[{SPACELESS}]")


def fold_text(text: str) -> str:
    """`fold`, except that lone surrogates (broken upstream decoding) become U+FFFD.

    `fold` (OpenCC) and the UTF-8 scan refuse lone surrogates; one bad character
    must not lose the whole post, and the check costs nothing on clean text.
    """
    try:
        return fold(text)
    except UnicodeEncodeError:
        return fold(text.encode("utf-8", "surrogatepass").decode("utf-8", "replace"))


def is_word_char(c: str) -> bool:
    """True for a letter or digit of a spaced script: where a word boundary is checked."""
    return c.isalnum() and _SPACELESS_CHAR.match(c) is None


def phrase_words(text: str) -> list[str]:
    """The folded words of a phrase: runs of Han/kana and runs of other letters/digits.

    Punctuation between words is dropped, so "hurricane-sandy" is the phrase
    hurricane, sandy, as in search engines.
    """
    return _PHRASE_WORDS.findall(fold(text))
