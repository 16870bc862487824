"""Split query text into tokens, rejecting malformed words where they stand.

The lexer accepts the habits of Chinese users beside the English operators:
full-width parentheses and quotes, `|`/`｜` for OR, a standalone `&` or `+`
for AND and `-word` for NOT. Operator words are case-insensitive, so the
words "and", "or", "not" and "near" must be quoted to be searched for.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import Enum

from groundswell.analyze.query.syntax import FIELDS, MAX_NEAR, MAX_QUERY_CHARS
from groundswell.errors import QueryError

__all__ = ["Kind", "Token", "tokenize"]

OPEN_PARENS = "(（"
CLOSE_PARENS = ")）"
QUOTES = '"“”＂'
BARS = "|｜"
_STOP = frozenset(OPEN_PARENS + CLOSE_PARENS + QUOTES + BARS)
_FIELD = re.compile(r"([A-Za-z]+):")
_NEAR = re.compile(r"near(?:/(.*))?$", re.IGNORECASE)
_SEARCHABLE = frozenset("LN")


class Kind(Enum):
    WORD = "word"
    PHRASE = "phrase"
    LPAREN = "("
    RPAREN = ")"
    AND = "AND"
    OR = "OR"
    NOT = "NOT"
    NEAR = "NEAR"
    FIELD = "field"
    END = "end of query"


@dataclass(frozen=True, slots=True)
class Token:
    kind: Kind
    pos: int
    text: str = ""
    value: int = 0  # NEAR distance; 1 for a wildcard word


def _searchable(word: str) -> bool:
    """A word needs a letter, digit or symbol such as an emoji; punctuation alone finds noise."""
    return any(
        unicodedata.category(c)[0] in _SEARCHABLE or unicodedata.category(c) == "So" for c in word
    )


def _word(word: str, pos: int) -> Token:
    lowered = word.lower()
    if lowered in ("and", "&", "&&", "+"):
        return Token(Kind.AND, pos, word)
    if lowered == "or":
        return Token(Kind.OR, pos, word)
    if lowered == "not":
        return Token(Kind.NOT, pos, word)
    near = _NEAR.match(word)
    if near:
        digits = near.group(1)
        if digits is None or not digits.isascii() or not digits.isdigit():
            raise QueryError("NEAR needs a distance in words, e.g. NEAR/5", pos)
        distance = int(digits)
        if distance > MAX_NEAR:
            raise QueryError(f"NEAR distance must be at most {MAX_NEAR}, got {distance}", pos + 5)
        return Token(Kind.NEAR, pos, word, distance)
    star = word.find("*")
    if star != -1 and star != len(word) - 1:
        raise QueryError("a wildcard * may only end a word, as in flood*", pos + star)
    stem = word[:-1] if star != -1 else word
    if not stem:
        raise QueryError("a wildcard needs the start of a word before it, as in flood*", pos)
    if not _searchable(stem):
        raise QueryError(f"{word!r} has no letter, digit or symbol to search for", pos)
    return Token(Kind.WORD, pos, stem, int(star != -1))


def tokenize(query: str) -> list[Token]:
    """Tokens of `query`, ending with an END token; QueryError at the first bad character."""
    if len(query) > MAX_QUERY_CHARS:
        raise QueryError(
            f"query is {len(query)} characters long; the limit is {MAX_QUERY_CHARS}",
            MAX_QUERY_CHARS,
        )
    bad = next((i for i, c in enumerate(query) if "\ud800" <= c <= "\udfff"), -1)
    if bad != -1:
        raise QueryError("the query contains a broken character (a lone surrogate)", bad)
    tokens: list[Token] = []
    i, n = 0, len(query)
    while i < n:
        c = query[i]
        if c.isspace():
            i += 1
        elif c in OPEN_PARENS:
            tokens.append(Token(Kind.LPAREN, i, c))
            i += 1
        elif c in CLOSE_PARENS:
            tokens.append(Token(Kind.RPAREN, i, c))
            i += 1
        elif c in BARS:
            start = i
            while i < n and query[i] in BARS:
                i += 1
            tokens.append(Token(Kind.OR, start, query[start:i]))
        elif c in QUOTES:
            end = next((j for j in range(i + 1, n) if query[j] in QUOTES), -1)
            if end == -1:
                raise QueryError('this quote is never closed; add a closing "', i)
            tokens.append(Token(Kind.PHRASE, i, query[i + 1 : end]))
            i = end + 1
        elif c == "-" and i + 1 < n and not query[i + 1].isspace() and query[i + 1] != "-":
            tokens.append(Token(Kind.NOT, i, "-"))
            i += 1
        else:
            start = i
            while i < n and not query[i].isspace() and query[i] not in _STOP:
                i += 1
            word = query[start:i]
            field = _FIELD.match(word)
            if field and (len(word) > field.end() or (i < n and not query[i].isspace())):
                name = field.group(1).lower()
                if name not in FIELDS:
                    known = ", ".join(f"{f}:" for f in FIELDS)
                    raise QueryError(f"unknown field {name!r}; use one of {known}", start)
                tokens.append(Token(Kind.FIELD, start, name))
                i = start + field.end()
                continue
            if field and field.group(1).lower() in FIELDS:
                raise QueryError(f"expected a word, phrase or ( right after {word}", i)
            tokens.append(_word(word, start))
    tokens.append(Token(Kind.END, n))
    return tokens
