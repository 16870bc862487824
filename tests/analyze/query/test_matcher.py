"""The automaton matcher: semantics on examples, agreement with a naive evaluator, real posts."""

from __future__ import annotations

import csv
import pickle
import re
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from groundswell.analyze.fold import fold
from groundswell.analyze.query import (
    And,
    Document,
    Near,
    Node,
    Not,
    Or,
    Phrase,
    SchemeMatcher,
    Term,
    compile_query,
)
from groundswell.errors import QueryError

DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"


def hits(query: str, text: str, title: str = "", **meta: str) -> bool:
    return compile_query(query).matches(Document(title, text, **meta)) is not None


# -- semantics on examples ---------------------------------------------------------------------


def test_folding_makes_forms_equal() -> None:
    assert hits("台湾", "臺灣的選舉")
    assert hits("臺灣", "台湾的选举")
    assert hits("abc", "ＡＢＣ公司")
    assert hits("FLOOD", "flood warning")


def test_latin_words_on_boundaries_han_as_substrings() -> None:
    assert not hits("art", "what a party")
    assert hits("art", "modern art!")
    assert hits("大选", "台湾大选结果")
    assert hits("iPhone手机", "我买了iphone手机")
    assert hits("iphone", "我买了iphone手机")
    assert not hits("19", "covid19")
    assert hits("covid-19", "COVID-19 cases")


def test_wildcard_is_a_word_prefix() -> None:
    assert hits("flood*", "Flooding in Brisbane")
    assert hits("flood*", "a flood")
    assert not hits("flood*", "deflooded")


def test_phrase_needs_consecutive_tokens() -> None:
    assert hits('"hurricane sandy"', "#Hurricane-Sandy hits")
    assert not hits('"hurricane sandy"', "hurricane hits sandy")
    assert hits('"台湾 大选"', "臺灣，大選")
    assert not hits('"台湾 大选"', "台湾的大选")


def test_near_counts_tokens_between_in_either_order() -> None:
    assert hits("flood NEAR/1 brisbane", "Brisbane under flood")
    assert not hits("flood NEAR/1 brisbane", "Brisbane is under flood")
    assert hits("台湾 NEAR/2 大选", "大选在台湾")
    assert not hits("台湾 NEAR/1 大选", "大选在即台湾")
    assert not hits("flood NEAR/5 brisbane", "brisbane", title="flood")


def test_fields() -> None:
    assert hits("title:storm", "nothing", title="Storm warning")
    assert not hits("title:storm", "storm", title="warning")
    assert hits("storm", "nothing", title="Storm")
    assert hits("flood lang:en", "flood", lang="en")
    assert not hits("flood lang:en", "flood", lang="zh")
    assert hits("region:北京 事故", "发生事故", region="北京市朝阳区")
    assert hits('source:"people daily" flood', "flood", source="People-Daily web")


def test_terms_that_hit_are_reported_as_written() -> None:
    match = compile_query('(Flood* OR "Hurricane Sandy") NOT drill 臺灣').matches(
        Document("", "FLOODING after hurricane sandy in 台湾")
    )
    assert match is not None
    assert match.terms == ("Flood*", "Hurricane Sandy", "臺灣")


def test_bad_input() -> None:
    query = compile_query("flood OR 洪水 OR 😀")
    assert query.matches(Document("", "")) is None
    assert query.matches(Document("", "😀😀😀")) is not None
    assert compile_query("flood").matches(Document("", "🌊🌊")) is None
    assert query.matches(Document("洪水 Flood", "mixed 中英文 text")).terms == ("flood", "洪水")
    assert query.matches(Document("\udc00", "broken \ud83d decoding: flood")) is not None
    big = "台湾 flood brisbane 大选 " * 50_000  # ~1 MB
    near = compile_query('flood NEAR/0 brisbane NOT "brisbane flood" OR 大选 NEAR/3 xyz')
    started = time.perf_counter()
    assert near.matches(Document("", big)) is not None
    assert compile_query("xyz NEAR/3 abc").matches(Document("", big)) is None
    assert time.perf_counter() - started < 10


def test_matcher_pickles_and_keeps_scheme_order() -> None:
    matcher = SchemeMatcher(
        [("b", Term("rain")), ("a", Or((Term("flood"), Term("rain")))), (3, Term("雨"))]
    )
    clone = pickle.loads(pickle.dumps(matcher))
    docs = [Document("", "rain and flood"), Document("", "下雨了"), Document("", "sun")]
    assert clone.match(docs) == matcher.match(docs)
    assert [[m.scheme_id for m in found] for found in clone.match(docs)] == [["b", "a"], [3], []]


# -- a naive reference: one regex per word, tokens by a plain loop ------------------------------


def _spaceless(c: str) -> bool:
    return "\u3040" <= c <= "\u30ff" or "\u3400" <= c <= "\u9fff" or "\uf900" <= c <= "\ufaff"


def _wordy(c: str) -> bool:
    return c.isalnum() and not _spaceless(c)


def _token_index(text: str) -> list[int | None]:
    """Token number of each character (None between tokens)."""
    out: list[int | None] = []
    count = -1
    for i, c in enumerate(text):
        if _spaceless(c) or (_wordy(c) and not (i > 0 and _wordy(text[i - 1]))):
            count += 1
        out.append(count if (_spaceless(c) or _wordy(c)) else None)
    return out


def _occurrences(word: str, wildcard: bool, text: str) -> list[tuple[int, int]]:
    """Token ranges [first, last + 1) of the boundary-respecting occurrences of a folded word."""
    found = []
    index = _token_index(text)
    for m in re.finditer(f"(?={re.escape(word)})", text):
        start, end = m.start(), m.start() + len(word)
        if _wordy(word[0]) and start > 0 and _wordy(text[start - 1]):
            continue
        if not wildcard and _wordy(word[-1]) and end < len(text) and _wordy(text[end]):
            continue
        inside = [index[i] for i in range(start, end) if index[i] is not None]
        if inside:
            found.append((inside[0], inside[-1] + 1))
    return found


def _segments(leaf: Term | Phrase, doc: Document) -> list[str]:
    if leaf.field in ("source", "lang", "region"):
        return [fold(getattr(doc, leaf.field))]
    return [fold(doc.title)] if leaf.field == "title" else [fold(doc.title), fold(doc.text)]


def _leaf_ranges(leaf: Term | Phrase, text: str) -> list[tuple[int, int]]:
    if isinstance(leaf, Term):
        return _occurrences(fold(leaf.text), leaf.wildcard, text)
    words = re.findall(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]+|[^\W_]+", fold(leaf.text))
    words = [
        w for part in words for w in re.findall(r"[\u3400-\u9fff]+|[^\W_\u3400-\u9fff]+", part)
    ]
    ranges = _occurrences(words[0], False, text)
    for word in words[1:]:
        nxt = _occurrences(word, False, text)
        ranges = [(s, e2) for s, e in ranges for s2, e2 in nxt if s2 == e]
    return ranges


def reference(node: Node, doc: Document) -> bool:
    if isinstance(node, Term | Phrase):
        return any(_leaf_ranges(node, text) for text in _segments(node, doc))
    if isinstance(node, Near):
        # title and text are separate segments; a title-only side looks at the title only
        for i, text in enumerate([fold(doc.title), fold(doc.text)]):
            sides = []
            for leaf in (node.left, node.right):
                sides.append([] if leaf.field == "title" and i == 1 else _leaf_ranges(leaf, text))
            for ls, le in sides[0]:
                for rs, re_ in sides[1]:
                    if rs - le <= node.distance and ls - re_ <= node.distance:
                        return True
        return False
    if isinstance(node, Not):
        return not reference(node.operand, doc)
    if isinstance(node, And):
        return all(reference(o, doc) for o in node.operands)
    return any(reference(o, doc) for o in node.operands)


_VOCAB = ["flood", "Flood", "art", "party", "台湾", "臺灣", "大选", "iphone", "手机", "ＡＲＴ"]
_VOCAB += ["雨", "19"]
_SEPARATORS = [" ", " ", " ", "-", ", ", "", "的"]


@st.composite
def _documents(draw: st.DrawFn) -> Document:
    def text(max_words: int) -> str:
        words = draw(st.lists(st.sampled_from([*_VOCAB, "floods", "x19"]), max_size=max_words))
        return "".join(w + draw(st.sampled_from(_SEPARATORS)) for w in words)

    return Document(
        text(3),
        text(10),
        draw(st.sampled_from(["", "weibo", "people daily"])),
        draw(st.sampled_from(["", "en", "zh"])),
        draw(st.sampled_from(["", "北京"])),
    )


def _leaves(near: bool = False) -> st.SearchStrategy[Term | Phrase]:
    fields = [None, None, "title"] if near else [None, None, None, "title", "lang", "region"]
    word = st.sampled_from([*_VOCAB, "en", "北京"])
    return st.one_of(
        st.builds(Term, word, st.sampled_from(fields), st.booleans()),
        st.builds(
            lambda ws, f: Phrase(" ".join(ws), f),
            st.lists(word, min_size=1, max_size=2),
            st.sampled_from(fields),
        ),
    )


_NEARS = st.builds(Near, _leaves(True), _leaves(True), st.integers(0, 3))
_QUERIES: st.SearchStrategy[Node] = st.recursive(
    st.one_of(_leaves(), _NEARS),
    lambda kids: st.one_of(
        st.builds(Not, kids),
        st.builds(And, st.lists(kids, min_size=2, max_size=3).map(tuple)),
        st.builds(Or, st.lists(kids, min_size=2, max_size=3).map(tuple)),
    ),
    max_leaves=6,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(st.one_of(_NEARS, _QUERIES), st.lists(_documents(), min_size=1, max_size=8))
def test_automaton_agrees_with_naive_reference(query: Node, docs: list[Document]) -> None:
    try:
        matcher = SchemeMatcher([(0, query)])
    except QueryError:
        assume(False)
        return
    found = matcher.match(docs)
    for doc, matches in zip(docs, found, strict=True):
        assert bool(matches) == reference(query, doc), doc


@settings(max_examples=40, deadline=None)
@given(st.lists(_QUERIES, min_size=2, max_size=25), st.lists(_documents(), min_size=1, max_size=8))
def test_many_queries_in_one_matcher_agree(queries: list[Node], docs: list[Document]) -> None:
    """One automaton for many schemes gives each scheme the result it gets alone."""
    queries = [q for q in queries if _valid(q)]
    found = SchemeMatcher(list(enumerate(queries))).match(docs)
    for doc, matches in zip(docs, found, strict=True):
        assert [m.scheme_id for m in matches] == [
            i for i, q in enumerate(queries) if reference(q, doc)
        ]


def _valid(query: Node) -> bool:
    try:
        SchemeMatcher([(0, query)])
    except QueryError:
        return False
    return True


# -- real posts --------------------------------------------------------------------------------


def _texts(path: Path, n: int) -> list[str]:
    with path.open(encoding="utf-8") as handle:
        return [row["text"] for _, row in zip(range(n), csv.DictReader(handle), strict=False)]


@pytest.fixture(scope="module")
def weibo() -> list[str]:
    return _texts(DATA / "sentiment" / "zh" / "weibo_smp2020_virus_train.csv", 3000)


@pytest.fixture(scope="module")
def tweets() -> list[str]:
    return _texts(DATA / "sentiment" / "en" / "us_airline_tweets.csv", 3000)


def test_real_weibo_posts(weibo: list[str]) -> None:
    query = compile_query("口罩 OR 武漢")  # written in Traditional, posts are Simplified
    found = query.match([Document("", t) for t in weibo])
    expected = ["口罩" in fold(t) or "武汉" in fold(t) for t in weibo]
    assert sum(expected) > 50
    assert [f is not None for f in found] == expected


def test_real_tweets_respect_word_boundaries(tweets: list[str]) -> None:
    query = compile_query("delay* -cancelled")
    found = query.match([Document("", t) for t in tweets])
    expected = [
        bool(re.search(r"(?<![^\W_])delay", t, re.I)) and not re.search(r"\bcancelled\b", t, re.I)
        for t in tweets
    ]
    assert sum(expected) > 50
    assert [f is not None for f in found] == expected
    party = [t for t in tweets if "party" in t.lower() and not re.search(r"\bart\b", t, re.I)]
    assert party and not any(compile_query("art").match([Document("", t) for t in party]))


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_real_posts_agree_with_reference(
    data: st.DataObject, weibo: list[str], tweets: list[str]
) -> None:
    posts = data.draw(
        st.lists(st.sampled_from(weibo[:300] + tweets[:300]), min_size=5, max_size=20)
    )
    vocab = sorted({w for p in posts for w in re.findall(r"[\u4e00-\u9fff]{2}|[A-Za-z]{3,}", p)})
    assume(len(vocab) >= 3)
    word = st.sampled_from(vocab)
    leaf = st.one_of(
        st.builds(Term, word, st.none(), st.booleans()),
        st.builds(lambda a, b: Phrase(f"{a} {b}"), word, word),
    )
    query = data.draw(
        st.one_of(
            st.builds(lambda a, b, c: And((Or((a, b)), Not(c))), leaf, leaf, leaf),
            st.builds(Near, leaf, leaf, st.integers(0, 6)),
        )
    )
    docs = [Document("", p) for p in posts]
    found = SchemeMatcher([(0, query)]).match(docs)
    assert [bool(f) for f in found] == [reference(query, d) for d in docs]
