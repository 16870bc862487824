"""The monitoring query language: parse text to an AST, match many queries at once.

`compile_query` is the one-query convenience; `SchemeMatcher` matches many
(scheme id, AST) pairs with one automaton. The language is documented for
users in docs/analysis/schemes.md.
"""

from __future__ import annotations

from groundswell.analyze.query.matcher import Document, SchemeMatch, SchemeMatcher
from groundswell.analyze.query.parser import parse_query
from groundswell.analyze.query.syntax import (
    And,
    Near,
    Node,
    Not,
    Or,
    Phrase,
    Term,
    format_query,
    leaves,
)

__all__ = [
    "And",
    "Document",
    "Near",
    "Node",
    "Not",
    "Or",
    "Phrase",
    "Query",
    "SchemeMatch",
    "SchemeMatcher",
    "Term",
    "compile_query",
    "format_query",
    "parse_query",
]


class Query:
    """One compiled query: `matches(doc)` and the words to add to jieba's dictionary."""

    def __init__(self, text: str, node: Node) -> None:
        self.text = text
        self.node = node
        self._matcher = SchemeMatcher([(None, node)])

    @property
    def terms(self) -> tuple[str, ...]:
        """The words a matching post may contain (positive terms; phrases split into words).

        Wildcard terms are given without the `*`; Han phrases keep their runs whole.
        """
        out: dict[str, None] = {}
        for leaf, positive in leaves(self.node):
            if not positive:
                continue
            words = [leaf.text] if isinstance(leaf, Term) else leaf.text.split()
            out.update((w, None) for w in words if w)
        return tuple(out)

    def matches(self, doc: Document) -> SchemeMatch | None:
        found = self._matcher.match([doc])[0]
        return found[0] if found else None

    def match(self, docs: list[Document]) -> list[SchemeMatch | None]:
        return [found[0] if found else None for found in self._matcher.match(docs)]

    def __repr__(self) -> str:
        return f"Query({self.text!r})"


def compile_query(query: str) -> Query:
    """Parse and compile `query`; QueryError(message, position) when it is malformed."""
    node = parse_query(query)
    return Query(query, node)
