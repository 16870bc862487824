"""Monitoring schemes (监测方案): the four word boxes plus an optional advanced query.

A scheme reads `(subject any) AND (region any) AND (event any) AND NOT
(exclusion any)`, with empty boxes left out and the advanced query AND-ed on.
Box entries are taken literally, never as operators: `台湾` is a word, `flood*`
a prefix, and an entry with spaces or in quotes ("hurricane sandy") a phrase.
Region words are searched in the post's text, like the other boxes; the
`region:` query field is for the post's region attribute instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from groundswell.analyze.query import Document, SchemeMatch, SchemeMatcher, parse_query
from groundswell.analyze.query.lexer import QUOTES, Kind, tokenize
from groundswell.analyze.query.syntax import And, Leaf, Node, Not, Or, Phrase, Term, leaves
from groundswell.analyze.query.text import phrase_words
from groundswell.errors import QueryError

__all__ = [
    "Document",
    "Scheme",
    "SchemeMatch",
    "box_leaf",
    "compile_schemes",
    "explain",
    "scheme_query",
    "scheme_words",
]

BOXES = (
    ("subject_words", "subject words"),
    ("region_words", "region words"),
    ("event_words", "event words"),
)
MAX_BOX_ENTRIES = 500


@dataclass(slots=True)
class Scheme:
    """A monitoring scheme as an analyst fills it in."""

    id: int | str
    name: str
    subject_words: list[str] = field(default_factory=list)
    region_words: list[str] = field(default_factory=list)
    event_words: list[str] = field(default_factory=list)
    exclusion_words: list[str] = field(default_factory=list)
    query: str = ""  # advanced query in the text language, AND-ed with the boxes


def box_leaf(entry: str) -> Leaf | None:
    """The AST leaf for one box entry; None for a blank entry."""
    text = entry.strip()
    if not text:
        return None
    bad = next((i for i, c in enumerate(text) if "\ud800" <= c <= "\udfff"), -1)
    if bad != -1:
        raise QueryError(f"{entry!r} contains a broken character (a lone surrogate)", bad)
    quoted = len(text) >= 2 and text[0] in QUOTES and text[-1] in QUOTES
    if not quoted and not any(c.isspace() or c in QUOTES for c in text):
        try:
            tokens = tokenize(text)
        except QueryError:
            tokens = []
        if len(tokens) == 2 and tokens[0].kind is Kind.WORD and tokens[0].pos == 0:
            return Term(tokens[0].text, None, bool(tokens[0].value))
        if "*" in text.rstrip("*") or text.count("*") > 1:
            raise QueryError(f"{entry!r}: a wildcard * may only end a word", text.find("*"))
    inner = "".join(c for c in (text[1:-1] if quoted else text) if c not in QUOTES).strip()
    if not phrase_words(inner):
        raise QueryError(f"{entry!r} has no word to search for", 0)
    return Phrase(" ".join(inner.split()))


def _box(scheme: Scheme, attribute: str, label: str) -> Node | None:
    entries = getattr(scheme, attribute)
    if len(entries) > MAX_BOX_ENTRIES:
        raise QueryError(
            f"scheme {scheme.name!r}: {len(entries)} {label}; the limit is {MAX_BOX_ENTRIES}", 0
        )
    found: list[Leaf] = []
    for entry in entries:
        try:
            leaf = box_leaf(entry)
        except QueryError as error:
            raise QueryError(f"scheme {scheme.name!r}, {label}: {error}", error.position) from None
        if leaf is not None and leaf not in found:
            found.append(leaf)
    if not found:
        return None
    return found[0] if len(found) == 1 else Or(tuple(found))


def scheme_query(scheme: Scheme) -> Node:
    """The scheme as one query AST; QueryError if it has nothing that must appear."""
    parts = [node for attr, label in BOXES if (node := _box(scheme, attr, label)) is not None]
    if scheme.query.strip():
        try:
            parts.append(parse_query(scheme.query))
        except QueryError as error:
            message = f"scheme {scheme.name!r}, query: {error}"
            raise QueryError(message, error.position) from None
    if not parts:
        raise QueryError(
            f"scheme {scheme.name!r} has no subject, region or event words and no query: "
            "exclusion words alone would match everything else",
            0,
        )
    excluded = _box(scheme, "exclusion_words", "exclusion words")
    if excluded is not None:
        parts.append(Not(excluded))
    return parts[0] if len(parts) == 1 else And(tuple(parts))


def compile_schemes(schemes: Sequence[Scheme]) -> SchemeMatcher:
    """One matcher for all schemes; compile once and reuse it for every batch."""
    return SchemeMatcher([(scheme.id, scheme_query(scheme)) for scheme in schemes])


def scheme_words(scheme: Scheme) -> list[str]:
    """Every positive word of the scheme, for jieba's user dictionary (wildcards without *)."""
    out: dict[str, None] = {}
    for leaf, positive in leaves(scheme_query(scheme)):
        if positive:
            words = [leaf.text] if isinstance(leaf, Term) else leaf.text.split()
            out.update((w, None) for w in words if w)
    return list(out)


def explain(match: SchemeMatch, scheme: Scheme) -> str:
    """Why a post matched, in words, for alert evidence and the monitor's feed."""
    hit = set(match.terms)
    parts: list[str] = []
    for attribute, label in BOXES:
        entries = [leaf.display for e in getattr(scheme, attribute) if (leaf := box_leaf(e))]
        words = [w for w in dict.fromkeys(entries) if w in hit]
        if words:
            parts.append(f"{label} {', '.join(words)}")
        hit -= set(entries)
    if scheme.query.strip():
        words = [t for t in match.terms if t in hit]
        parts.append(f"query words {', '.join(words)}" if words else "the advanced query")
    reason = "; ".join(parts) if parts else "its query"
    tail = ", and none of the exclusion words" if scheme.exclusion_words else ""
    return f"matched scheme {scheme.name!r} on {reason}{tail}"
