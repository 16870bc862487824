"""Recursive-descent parser: query text to AST, with errors that point at the position.

Grammar (precedence NEAR > NOT > AND > OR; adjacent terms are AND-ed):

    query   := or EOF
    or      := and (OR and)*
    and     := unary ([AND] unary)*
    unary   := NOT unary | near
    near    := primary [NEAR/n primary]       (both sides a word or phrase)
    primary := [field:] (WORD | PHRASE | "(" or ")")
"""

from __future__ import annotations

from dataclasses import replace

from groundswell.analyze.query.lexer import Kind, Token, tokenize
from groundswell.analyze.query.syntax import (
    MAX_DEPTH,
    And,
    Leaf,
    Near,
    Node,
    Not,
    Or,
    Phrase,
    Term,
)
from groundswell.analyze.query.text import phrase_words
from groundswell.errors import QueryError

__all__ = ["parse_query"]

_STARTS_UNARY = frozenset({Kind.WORD, Kind.PHRASE, Kind.LPAREN, Kind.NOT, Kind.FIELD})


def _describe(token: Token) -> str:
    if token.kind is Kind.END:
        return "the end of the query"
    return repr(token.text) if token.text else token.kind.value


class _Parser:
    def __init__(self, query: str) -> None:
        self.tokens = tokenize(query)
        self.i = 0

    @property
    def token(self) -> Token:
        return self.tokens[self.i]

    def advance(self) -> Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def fail(self, expected: str) -> QueryError:
        token = self.token
        return QueryError(f"expected {expected}, found {_describe(token)}", token.pos)

    def parse(self) -> Node:
        if self.token.kind is Kind.END:
            raise QueryError("the query is empty; write at least one word", 0)
        node = self.parse_or(0)
        if self.token.kind is Kind.RPAREN:
            raise QueryError("this ) has no matching (", self.token.pos)
        if self.token.kind is not Kind.END:
            raise self.fail("AND, OR or the end of the query")
        return node

    def parse_or(self, depth: int) -> Node:
        pos = self.token.pos
        operands = [self.parse_and(depth)]
        while self.token.kind is Kind.OR:
            self.advance()
            operands.append(self.parse_and(depth))
        return operands[0] if len(operands) == 1 else Or(tuple(operands), pos)

    def parse_and(self, depth: int) -> Node:
        pos = self.token.pos
        operands = [self.parse_unary(depth)]
        while True:
            if self.token.kind is Kind.AND:
                self.advance()
            elif self.token.kind not in _STARTS_UNARY:
                break
            operands.append(self.parse_unary(depth))
        return operands[0] if len(operands) == 1 else And(tuple(operands), pos)

    def parse_unary(self, depth: int) -> Node:
        if depth > MAX_DEPTH:
            raise QueryError(f"the query nests deeper than {MAX_DEPTH} levels", self.token.pos)
        if self.token.kind is Kind.NOT:
            pos = self.advance().pos
            return Not(self.parse_unary(depth + 1), pos)
        return self.parse_near(depth)

    def parse_near(self, depth: int) -> Node:
        left = self.parse_primary(depth, None)
        if self.token.kind is not Kind.NEAR:
            return left
        near = self.advance()
        if not isinstance(left, Term | Phrase):
            raise QueryError("NEAR needs a word or phrase on its left, not a group", near.pos)
        right_pos = self.token.pos
        right = self.parse_primary(depth, None)
        if not isinstance(right, Term | Phrase):
            raise QueryError("NEAR needs a word or phrase on its right, not a group", right_pos)
        if self.token.kind is Kind.NEAR:
            raise QueryError(
                "NEAR joins exactly two words; use AND between NEAR pairs", self.token.pos
            )
        for side, pos in ((left, left.pos), (right, right_pos)):
            if side.field not in (None, "title"):
                raise QueryError(
                    f"NEAR compares positions in title and text, not {side.field}:", pos
                )
        return Near(left, right, near.value, near.pos)

    def parse_primary(self, depth: int, field: str | None) -> Node:
        token = self.token
        if token.kind is Kind.FIELD:
            if field is not None:
                raise QueryError(f"a field cannot sit inside another ({field}:)", token.pos)
            self.advance()
            if self.token.kind not in (Kind.WORD, Kind.PHRASE, Kind.LPAREN):
                raise self.fail(f"a word, phrase or ( after {token.text}:")
            node = self.parse_primary(depth, token.text)
            return replace(node, pos=token.pos) if isinstance(node, Term | Phrase) else node
        if token.kind is Kind.WORD:
            self.advance()
            return Term(token.text, field, bool(token.value), token.pos)
        if token.kind is Kind.PHRASE:
            self.advance()
            if not phrase_words(token.text):
                raise QueryError("this phrase has no word to search for", token.pos)
            return Phrase(token.text, field, token.pos)
        if token.kind is Kind.LPAREN:
            self.advance()
            if self.token.kind is Kind.RPAREN:
                raise QueryError("empty parentheses; put words inside", token.pos)
            inner = self.parse_or(depth + 1)
            if self.token.kind is not Kind.RPAREN:
                if self.token.kind is Kind.END:
                    raise QueryError("this ( is never closed; add a )", token.pos)
                raise self.fail("AND, OR or )")
            self.advance()
            return _with_field(inner, field) if field else inner
        if token.kind is Kind.END:
            raise self.fail("a word, phrase or (")
        if token.kind in (Kind.AND, Kind.OR, Kind.NEAR):
            raise QueryError(f"{token.text} needs a word, phrase or group before it", token.pos)
        raise self.fail("a word, phrase or (")


def _with_field(node: Node, field: str) -> Node:
    """Push a group's field down to its leaves; a leaf with its own field is an error."""
    if isinstance(node, Term | Phrase):
        if node.field is not None:
            raise QueryError(f"a field cannot sit inside another ({field}:)", node.pos)
        return replace(node, field=field)
    if isinstance(node, Near):
        if field != "title":
            raise QueryError(f"NEAR compares positions in title and text, not {field}:", node.pos)
        left: Leaf = _with_field(node.left, field)  # type: ignore[assignment]
        right: Leaf = _with_field(node.right, field)  # type: ignore[assignment]
        return replace(node, left=left, right=right)
    if isinstance(node, Not):
        return replace(node, operand=_with_field(node.operand, field))
    return replace(node, operands=tuple(_with_field(o, field) for o in node.operands))


def parse_query(query: str) -> Node:
    """The AST of `query`; QueryError(message, position) when it is malformed."""
    if not isinstance(query, str):
        raise QueryError(f"a query must be text, got {type(query).__name__}", 0)
    return _Parser(query).parse()
