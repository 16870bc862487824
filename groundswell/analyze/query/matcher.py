"""Match many queries against a batch of posts with one Aho-Corasick automaton.

Every word of every query goes into one automaton over folded text. A post is
scanned once (title and text joined, plus the metadata fields that some query
uses); each hit is checked for word boundaries and recorded with its span.
Only the queries indexed under a recorded hit are then evaluated: each query
is indexed under a set of words one of which must appear for it to match
(one branch of every AND, every branch of an OR), which is why a query that
could match without any of its words (`NOT x` alone) is refused.
Positions are turned into token numbers only for phrases and NEAR.

The automaton runs over UTF-8 bytes (carried in a latin-1 `str`, which
pyahocorasick accepts): its trie walk searches a node's children linearly,
and a root with one child per Han character in the patterns made the scan
3-4 times slower (measured) than a root with at most 256 byte values. UTF-8 is self-synchronising,
so a pattern's bytes only ever match on character boundaries; spans are byte
offsets, mapped to tokens only when a phrase or NEAR needs positions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import ahocorasick

from groundswell.analyze.fold import fold
from groundswell.analyze.query.scan import Ranges, Scan, near, word_at, word_before
from groundswell.analyze.query.syntax import And, Leaf, Near, Node, Not, Phrase, Term, leaves
from groundswell.analyze.query.text import fold_text, is_word_char, phrase_words
from groundswell.errors import QueryError

__all__ = ["Document", "SchemeMatch", "SchemeMatcher"]

_FIELD_CODES = {None: 0, "title": 1, "source": 2, "lang": 3, "region": 4}
_METADATA = (("source", 2), ("lang", 3), ("region", 4))

SchemeId = int | str | None
Check = Callable[[Scan], bool]


@dataclass(frozen=True, slots=True)
class Document:
    """What the matcher reads of a post."""

    title: str = ""
    text: str = ""
    source: str = ""
    lang: str = ""
    region: str = ""


@dataclass(frozen=True, slots=True)
class SchemeMatch:
    """A query that matched a post; `terms` are the words that hit, as the user wrote them."""

    scheme_id: SchemeId
    terms: tuple[str, ...]


class _Compiler:
    """Assigns literal ids (one per folded word and wildcard flag) and builds checks."""

    def __init__(self) -> None:
        self.literals: dict[tuple[str, bool], int] = {}
        self.fields_used: set[int] = set()

    def key(self, folded: str, wildcard: bool, field: str | None) -> int:
        literal = self.literals.setdefault((folded, wildcard), len(self.literals))
        code = _FIELD_CODES[field]
        self.fields_used.add(code)
        return literal * 8 + code

    def leaf_keys(self, leaf: Leaf) -> tuple[int, ...]:
        return tuple(self.key(text, wildcard, leaf.field) for text, wildcard in _words(leaf))

    def ranges(self, leaf: Leaf) -> Callable[[Scan], Ranges]:
        keys = self.leaf_keys(leaf)
        if len(keys) == 1:
            key = keys[0]
            return lambda scan: scan.ranges(key)
        return lambda scan: scan.phrase(keys)

    def check(self, node: Node) -> Check:
        if isinstance(node, Term | Phrase):
            keys = self.leaf_keys(node)
            if len(keys) == 1:
                key = keys[0]
                return lambda scan: key in scan.hits
            return lambda scan: _all_in(keys, scan.hits) and bool(scan.phrase(keys))
        if isinstance(node, Near):
            left, right, distance = self.ranges(node.left), self.ranges(node.right), node.distance
            return lambda scan: near(left(scan), right(scan), distance)
        if isinstance(node, Not):
            inner = self.check(node.operand)
            return lambda scan: not inner(scan)
        # Plain words are tested as one set operation; the rest one by one.
        plain = [k for o in node.operands if len(k := self._plain_key(o)) == 1]
        keys = frozenset(k[0] for k in plain)
        checks = tuple(self.check(o) for o in node.operands if len(self._plain_key(o)) != 1)
        if isinstance(node, And):
            return lambda scan: _all_in(keys, scan.hits) and _all_true(checks, scan)
        if not checks:
            return lambda scan: not keys.isdisjoint(scan.hits)
        return lambda scan: not keys.isdisjoint(scan.hits) or _any_true(checks, scan)

    def _plain_key(self, node: Node) -> tuple[int, ...]:
        """The one key of a single-word leaf; empty for anything else."""
        if isinstance(node, Term | Phrase):
            keys = self.leaf_keys(node)
            return keys if len(keys) == 1 else ()
        return ()

    def required(self, node: Node) -> set[int] | None:
        """Keys one of which must hit for `node` to be true; None if it can be true without."""
        if isinstance(node, Term | Phrase):
            keys = self.leaf_keys(node)
            lengths = [len(text) for text, _ in _words(node)]
            return {keys[lengths.index(max(lengths))]}  # the longest word is the rarest, usually
        if isinstance(node, Near):
            return self.required(node.left)
        if isinstance(node, Not):
            return self.required(node.operand.operand) if isinstance(node.operand, Not) else None
        sets = [self.required(operand) for operand in node.operands]
        if isinstance(node, And):
            known = [s for s in sets if s is not None]
            return min(known, key=len) if known else None
        if any(s is None for s in sets):
            return None
        return set().union(*sets)  # type: ignore[arg-type]


def _words(leaf: Leaf) -> list[tuple[str, bool]]:
    """The folded literals of a leaf: one for a word, one per word for a phrase."""
    if isinstance(leaf, Term):
        return [(fold(leaf.text), leaf.wildcard)]
    return [(word, False) for word in phrase_words(leaf.text)]


# Plain loops: cheaper than all()/any() over a generator for the few operands of a query.
def _all_in(keys: Iterable[int], hits: dict[int, Any]) -> bool:
    for key in keys:  # noqa: SIM110
        if key not in hits:
            return False
    return True


def _all_true(checks: Iterable[Check], scan: Scan) -> bool:
    for check in checks:  # noqa: SIM110
        if not check(scan):
            return False
    return True


def _any_true(checks: Iterable[Check], scan: Scan) -> bool:
    for check in checks:  # noqa: SIM110
        if check(scan):
            return True
    return False


def _first_not(node: Node) -> int:
    if isinstance(node, Not):
        return node.pos
    for child in getattr(node, "operands", ()):
        pos = _first_not(child)
        if pos >= 0:
            return pos
    return -1


def _automaton(literals: dict[tuple[str, bool], int]) -> ahocorasick.Automaton:
    """UTF-8 of a folded word -> (byte length, check left, check right, exact id, prefix id)."""
    entries: dict[str, list[Any]] = {}
    for (text, wildcard), literal in literals.items():
        key = text.encode("utf-8").decode("latin-1")
        entry = entries.setdefault(
            key, [len(key), is_word_char(text[0]), is_word_char(text[-1]), -1, -1]
        )
        entry[4 if wildcard else 3] = literal
    automaton = ahocorasick.Automaton()
    for text, entry in entries.items():
        automaton.add_word(text, tuple(entry))
    if entries:
        automaton.make_automaton()
    return automaton


def _rebuild(queries: tuple[tuple[SchemeId, Node], ...]) -> SchemeMatcher:
    return SchemeMatcher(queries)


class SchemeMatcher:
    """Compiled once from (scheme id, AST) pairs; `match` is then called on many batches.

    Pickles as its ASTs and recompiles on load (closures and the automaton are
    rebuilt in a few milliseconds per thousand queries), so it can be sent to
    the workers of a process pool.
    """

    def __init__(self, queries: Sequence[tuple[SchemeId, Node]]) -> None:
        self._queries = tuple(queries)
        compiler = _Compiler()
        self._checks: list[Check] = []
        self._reported: list[list[tuple[str, Check]]] = []
        index: dict[int, list[int]] = {}
        for number, (scheme_id, node) in enumerate(self._queries):
            required = compiler.required(node)
            if required is None:
                pos = _first_not(node)
                label = "" if scheme_id is None else f"scheme {scheme_id!r}: "
                raise QueryError(
                    f"{label}the query could match a post that has none of its words; "
                    "add a word that must appear (NOT alone excludes, it never finds)",
                    max(pos, 0),
                )
            for key in required:
                index.setdefault(key, []).append(number)
            self._checks.append(compiler.check(node))
            reported: dict[str, Check] = {}
            for leaf, positive in leaves(node):
                if positive and leaf.display not in reported:
                    reported[leaf.display] = compiler.check(leaf)
            self._reported.append(list(reported.items()))
        self._index = {key: tuple(numbers) for key, numbers in index.items()}
        self._automaton = _automaton(compiler.literals)
        self._has_patterns = bool(compiler.literals)
        self._metadata = [(name, code) for name, code in _METADATA if code in compiler.fields_used]

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self._queries,))

    def __len__(self) -> int:
        return len(self._queries)

    def match(self, docs: Sequence[Document]) -> list[list[SchemeMatch]]:
        """For each document, the schemes it matches, in the order the schemes were given."""
        return [self._match_one(doc) for doc in docs]

    def _match_one(self, doc: Document) -> list[SchemeMatch]:
        scan = self.scan(doc)
        if not scan.hits:
            return []
        candidates: set[int] = set()
        index = self._index
        for key in scan.hits:
            numbers = index.get(key)
            if numbers:
                candidates.update(numbers)
        out: list[SchemeMatch] = []
        for number in sorted(candidates):
            if self._checks[number](scan):
                terms = tuple(text for text, check in self._reported[number] if check(scan))
                out.append(SchemeMatch(self._queries[number][0], terms))
        return out

    def scan(self, doc: Document) -> Scan:
        """Fold the post and record every boundary-respecting hit of every word."""
        title = fold_text(doc.title)
        content = f"{title}\n{fold_text(doc.text)}"
        title_end = len(title) if title.isascii() else len(title.encode("utf-8"))
        segments = [content, content, "", "", ""]
        scan = Scan(segments, title_end)
        if not self._has_patterns:
            return scan
        self._scan_segment(scan, content, 0, title_end)
        for name, code in self._metadata:
            value = getattr(doc, name)
            if value:
                segments[code] = folded = fold_text(value)
                self._scan_segment(scan, folded, code, -1)
        return scan

    def _scan_segment(self, scan: Scan, text: str, code: int, title_end: int) -> None:
        hits = scan.hits
        raw = text.encode("utf-8")
        size = len(raw)
        for last, (length, left, right, exact, prefix) in self._automaton.iter(
            raw.decode("latin-1")
        ):
            start = last - length + 1
            if left and start and word_before(raw, start):
                continue
            end = last + 1
            span = (start, end)
            if exact >= 0 and right and end < size and word_at(raw, end):
                exact = -1
            for literal in (exact, prefix):
                if literal >= 0:
                    key = literal * 8 + code
                    found = hits.get(key)
                    if found is None:
                        hits[key] = [span]
                    else:
                        found.append(span)
                    if end <= title_end:
                        hits.setdefault(key + 1, []).append(span)
