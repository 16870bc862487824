"""The query AST, and the printer that turns an AST back into query text.

Fields live on the leaves only: the parser pushes `title:(a OR b)` down to
`title:a OR title:b`, so the matcher never tracks a field context. Every node
keeps the character offset it was parsed from (`pos`, excluded from equality)
so that semantic checks can point at the right place in the query.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

__all__ = [
    "CONTENT_FIELDS",
    "FIELDS",
    "MAX_DEPTH",
    "MAX_NEAR",
    "MAX_QUERY_CHARS",
    "METADATA_FIELDS",
    "And",
    "Leaf",
    "Near",
    "Node",
    "Not",
    "Or",
    "Phrase",
    "Term",
    "format_query",
    "leaves",
]

# Searched text: `title:` narrows a word to the title; no field means title or text.
CONTENT_FIELDS = ("title",)
# Post metadata: the word must appear in that attribute of the post.
METADATA_FIELDS = ("source", "lang", "region")
FIELDS = CONTENT_FIELDS + METADATA_FIELDS

MAX_QUERY_CHARS = 4000  # a hand-written query is far shorter; this stops pasted novels
MAX_DEPTH = 32  # nesting of parentheses / NOT, far below Python's recursion limit
MAX_NEAR = 100  # NEAR/n beyond this is no longer "near"
OPERATOR_WORDS = frozenset({"and", "or", "not"})


@dataclass(frozen=True, slots=True)
class Term:
    """One word as the user wrote it; `wildcard` means it ended in `*` (prefix match)."""

    text: str
    field: str | None = None
    wildcard: bool = False
    pos: int = dataclasses.field(default=0, compare=False, repr=False)

    @property
    def display(self) -> str:
        return self.text + ("*" if self.wildcard else "")


@dataclass(frozen=True, slots=True)
class Phrase:
    """Words that must appear as consecutive tokens, as written between the quotes."""

    text: str
    field: str | None = None
    pos: int = dataclasses.field(default=0, compare=False, repr=False)

    @property
    def display(self) -> str:
        return self.text


Leaf = Term | Phrase


@dataclass(frozen=True, slots=True)
class Near:
    """Both sides occur with at most `distance` tokens between them, in either order."""

    left: Leaf
    right: Leaf
    distance: int
    pos: int = dataclasses.field(default=0, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Not:
    operand: Node
    pos: int = dataclasses.field(default=0, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class And:
    operands: tuple[Node, ...]
    pos: int = dataclasses.field(default=0, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Or:
    operands: tuple[Node, ...]
    pos: int = dataclasses.field(default=0, compare=False, repr=False)


Node = Term | Phrase | Near | Not | And | Or


def _leaf_text(leaf: Leaf) -> str:
    prefix = f"{leaf.field}:" if leaf.field else ""
    if isinstance(leaf, Phrase):
        return f'{prefix}"{leaf.text}"'
    return prefix + leaf.display


def format_query(node: Node) -> str:
    """Query text that parses back to `node` (fields written on every leaf)."""
    if isinstance(node, Term | Phrase):
        return _leaf_text(node)
    if isinstance(node, Near):
        return f"{_leaf_text(node.left)} NEAR/{node.distance} {_leaf_text(node.right)}"
    if isinstance(node, Not):
        inner = format_query(node.operand)
        return f"NOT ({inner})" if isinstance(node.operand, And | Or) else f"NOT {inner}"
    joiner = " AND " if isinstance(node, And) else " OR "
    parts = []
    for operand in node.operands:
        text = format_query(operand)
        parts.append(f"({text})" if isinstance(operand, And | Or) else text)
    return joiner.join(parts)


def leaves(node: Node) -> list[tuple[Leaf, bool]]:
    """Every leaf in query order with its polarity (True = not under an odd number of NOTs)."""
    out: list[tuple[Leaf, bool]] = []

    def walk(n: Node, positive: bool) -> None:
        if isinstance(n, Term | Phrase):
            out.append((n, positive))
        elif isinstance(n, Near):
            out.extend(((n.left, positive), (n.right, positive)))
        elif isinstance(n, Not):
            walk(n.operand, not positive)
        else:
            for operand in n.operands:
                walk(operand, positive)

    walk(node, True)
    return out
