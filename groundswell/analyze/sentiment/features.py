"""Text to feature tokens for the sentiment models, shared by training and inference.

One function per language turns a post into a list of string features; the
model maps them through a vocabulary. Training and inference call the very same
code, so a feature seen in training is the feature seen at run time.

* Chinese: character 1-3 grams of the folded text (no segmenter: fast, and
  robust to new words and slang), plus each Weibo emoji code (``[哈哈]``) as one
  token, because those codes are the strongest single signals on Weibo.
* English: word 1-2 grams with negation scope marking ("not good" makes
  ``n:good``), elongations shortened ("sooo" -> "soo"), emoticons and emoji as
  tokens, plus character 3-5 grams inside words for misspellings and hashtags.

Links and @mentions become placeholders: they carry no sentiment but their
count is a weak neutral (news-like) signal. Posts are cut to `MAX_CHARS` first,
so a 1 MB post costs the same as a long tweet.
"""

from __future__ import annotations

import itertools
import re

from groundswell.analyze.fold import fold

__all__ = [
    "MAX_CHARS",
    "char_grams",
    "en_features",
    "en_features_of_words",
    "en_words",
    "features",
    "zh_features",
    "zh_parts",
]

MAX_CHARS = 1000

_URL = re.compile(r"https?://\S+|www\.\S+")
_MENTION = re.compile(r"@[^\s:：,，@/]{1,30}")
_WEIBO_EMOJI = re.compile(r"\[[^\[\]\s]{1,8}\]")
_SPACES = re.compile(r"\s+")
_REPEATS = re.compile(r"(.)\1{2,}")
_EN_TOKEN = re.compile(
    r"[:;=8][\-o']?[()\[\]dp/\\|*3]+"  # western emoticons
    r"|<3"
    r"|#?[a-z0-9][a-z0-9'_]*"  # words, hashtags, numbers
    r"|[!?]+"
    r"|[^\w\s]",  # any other symbol, including emoji
)
_NEGATOR_WORDS = (
    "not no never nothing nobody none neither nor cannot cant dont doesnt didnt isnt "
    "wasnt arent werent wont wouldnt shouldnt couldnt aint hardly without"
)
_NEGATORS = frozenset(_NEGATOR_WORDS.split())
_CLAUSE_END = frozenset(".,!?;:") | {"!!", "??"}
_NEGATION_SCOPE = 3


def _clean(text: str) -> str:
    text = fold(text[:MAX_CHARS])
    text = _URL.sub(" \x01 ", text)
    return _MENTION.sub("\x02", text)


def zh_features(text: str) -> list[str]:
    """Character 1-3 grams and Weibo emoji codes of a (mostly) Chinese post."""
    out, text = zh_parts(text)
    n = len(text)
    out.extend(text)
    out.extend([text[i : i + 2] for i in range(n - 1)])
    out.extend([text[i : i + 3] for i in range(n - 2)])
    return out


def zh_parts(text: str) -> tuple[list[str], str]:
    """A Chinese post's emoji-code features, and the text whose 1-3 grams are the rest."""
    text = _SPACES.sub(" ", _clean(text)).strip()
    emoji = ["e" + code for code in _WEIBO_EMOJI.findall(text)]
    return emoji, _REPEATS.sub(r"\1\1\1", text)


def en_words(text: str) -> list[str]:
    """Word tokens of an English post with negation scope marked (`n:` prefix)."""
    text = _clean(text).replace("\u2019", "'")
    words: list[str] = []
    scope = 0
    for token in _EN_TOKEN.findall(text):
        token = _REPEATS.sub(r"\1\1", token.replace("'", ""))
        if not token:
            continue
        if token in _CLAUSE_END or token[0] in "!?":
            scope = 0
            words.append(token)
        elif scope:
            scope -= 1
            words.append("n:" + token)
        else:
            words.append(token)
        if token in _NEGATORS:
            scope = _NEGATION_SCOPE
    return words


def en_features(text: str) -> list[str]:
    """Word 1-2 grams (negation-marked) and in-word character 3-5 grams of an English post."""
    return en_features_of_words(en_words(text))


def en_features_of_words(words: list[str]) -> list[str]:
    out = list(words)
    out.extend([a + " " + b for a, b in itertools.pairwise(words)])
    for word in words:
        if has_char_grams(word):
            out.extend(char_grams(word))
    return out


def has_char_grams(word: str) -> bool:
    return len(word) >= 4 and word[-1].isalnum()


def char_grams(word: str) -> list[str]:
    """Character 3-5 grams of a word (negation mark dropped), padded with spaces."""
    padded = " " + word.removeprefix("n:") + " "
    m = len(padded)
    return ["c" + padded[i : i + k] for k in (3, 4, 5) for i in range(m - k + 1)]


def features(text: str, lang: str) -> list[str]:
    """Features of `text` for the model of `lang` ("zh" or "en")."""
    return zh_features(text) if lang == "zh" else en_features(text)
