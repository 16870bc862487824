"""The query parser: grammar, errors that point at the problem, and round trips."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from groundswell.analyze.query import (
    And,
    Near,
    Node,
    Not,
    Or,
    Phrase,
    Term,
    compile_query,
    format_query,
    parse_query,
)
from groundswell.analyze.query.syntax import MAX_QUERY_CHARS
from groundswell.errors import QueryError


def t(text: str, field: str | None = None, wildcard: bool = False) -> Term:
    return Term(text, field, wildcard)


def test_implicit_and_and_precedence() -> None:
    assert parse_query("a b OR c") == Or((And((t("a"), t("b"))), t("c")))
    assert parse_query("a OR b c") == Or((t("a"), And((t("b"), t("c")))))
    assert parse_query("NOT a b") == And((Not(t("a")), t("b")))
    assert parse_query("a AND (b OR c)") == And((t("a"), Or((t("b"), t("c")))))
    assert parse_query("NOT a NEAR/3 b") == Not(Near(t("a"), t("b"), 3))


def test_operators_are_case_insensitive_and_chinese_habits() -> None:
    assert parse_query("a and b or not c") == parse_query("a AND b OR NOT c")
    assert parse_query("台湾|香港 & 大选 -民进党") == parse_query(
        "台湾 OR 香港 AND 大选 AND NOT 民进党"
    )
    assert parse_query("（台湾 ｜ 香港） “大选”") == And(
        (Or((t("台湾"), t("香港"))), Phrase("大选"))
    )
    assert parse_query("c++ AT&T covid-19") == And((t("c++"), t("AT&T"), t("covid-19")))


def test_fields_wildcards_phrases() -> None:
    assert parse_query("title:flood*") == t("flood", "title", True)
    assert parse_query('source:"people daily"') == Phrase("people daily", "source")
    assert parse_query("region:(北京 OR 上海)") == Or((t("北京", "region"), t("上海", "region")))
    assert parse_query("LANG:zh") == t("zh", "lang")
    assert parse_query("flood NEAR/5 title:brisbane") == Near(t("flood"), t("brisbane", "title"), 5)


@pytest.mark.parametrize(
    ("query", "position", "words"),
    [
        ("", 0, "empty"),
        ("   ", 0, "empty"),
        ("(flood OR rain", 0, "never closed"),
        ("flood)", 5, "no matching"),
        ('"hurricane sandy', 0, "quote"),
        ("flood AND", 9, "expected a word"),
        ("OR flood", 0, "before it"),
        ("flood OR OR rain", 9, "before it"),
        ("foo:bar", 0, "unknown field"),
        ("flood NEAR rain", 6, "distance"),
        ("flood NEAR/x rain", 6, "distance"),
        ("flood NEAR/1000 rain", 11, "at most"),
        ("fl*od", 2, "wildcard"),
        ("*flood", 0, "wildcard"),
        ("flood **", 6, "wildcard"),
        ("title: flood", 6, "right after title:"),
        ("()", 0, "empty parentheses"),
        ("a NEAR/2 (b OR c)", 9, "NEAR"),
        ("a NEAR/2 b NEAR/2 c", 11, "exactly two"),
        ("title:(source:x)", 7, "inside another"),
        ('""', 0, "no word"),
        ("flood ...", 6, "no letter"),
        ("(" * 40 + "a" + ")" * 40, 33, "nests"),
        ("flood \ud83d", 6, "broken character"),
    ],
)
def test_errors_point_at_the_problem(query: str, position: int, words: str) -> None:
    with pytest.raises(QueryError) as caught:
        compile_query(query)
    assert caught.value.position == position
    assert words in str(caught.value)


@pytest.mark.parametrize("query", ["NOT flood", "-flood", "flood OR NOT rain", "NOT (a b)"])
def test_a_query_needs_a_word_that_must_appear(query: str) -> None:
    parse_query(query)  # syntactically fine
    with pytest.raises(QueryError, match="must appear"):
        compile_query(query)


def test_absurdly_long_query_is_refused() -> None:
    with pytest.raises(QueryError, match="limit") as caught:
        compile_query("flood OR " * 1000 + "rain")
    assert caught.value.position == MAX_QUERY_CHARS


# -- properties ------------------------------------------------------------------------------

_WORDS = st.text(alphabet="abcxyzé台湾大选0９", min_size=1, max_size=6).filter(
    lambda w: w.lower() not in {"and", "or", "not", "near"}
)
_FIELD = st.sampled_from([None, None, "title", "source", "lang", "region"])


@st.composite
def _leaf(draw: st.DrawFn, near_ok: bool = False) -> Term | Phrase:
    field = draw(st.sampled_from([None, "title"]) if near_ok else _FIELD)
    if draw(st.booleans()):
        return Term(draw(_WORDS), field, draw(st.booleans()))
    return Phrase(" ".join(draw(st.lists(_WORDS, min_size=1, max_size=3))), field)


def _near() -> st.SearchStrategy[Near]:
    return st.builds(
        Near, _leaf(near_ok=True), _leaf(near_ok=True), st.integers(min_value=0, max_value=100)
    )


_NODES: st.SearchStrategy[Node] = st.recursive(
    st.one_of(_leaf(), _near()),
    lambda children: st.one_of(
        st.builds(Not, children),
        st.builds(And, st.lists(children, min_size=2, max_size=4).map(tuple)),
        st.builds(Or, st.lists(children, min_size=2, max_size=4).map(tuple)),
    ),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(_NODES)
def test_printed_ast_parses_back_to_itself(node: Node) -> None:
    assert parse_query(format_query(node)) == node


_SYNTAX = '()（）"“” |&+-*:/aAnNdDoOrRtTeEilsuc0123456789台湾'


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=80), st.text(alphabet=_SYNTAX, max_size=60)))
def test_garbage_raises_only_query_error_within_the_query(query: str) -> None:
    try:
        compile_query(query)
    except QueryError as error:
        assert error.position is not None
        assert 0 <= error.position <= len(query)
