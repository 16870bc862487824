"""Author pseudonyms: keyed, stable, normalised, never the author."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from groundswell.normalize.pseudonym import pseudonymise

KEY = b"desk-secret"


def test_is_the_keyed_hmac_of_the_normalised_author_truncated_to_16_bytes() -> None:
    expected = hmac.new(KEY, b"alice", hashlib.sha256).hexdigest()[:32]
    assert pseudonymise("Alice", KEY) == expected
    assert len(expected) == 32


@pytest.mark.parametrize("variant", ["alice", " ALICE ", "Ａｌｉｃｅ", "\tAlIcE\n"])
def test_spelling_variants_are_one_author(variant: str) -> None:
    assert pseudonymise(variant, KEY) == pseudonymise("Alice", KEY)


def test_case_folding_beyond_lower_case() -> None:
    assert pseudonymise("STRASSE", KEY) == pseudonymise("straße", KEY)


def test_different_authors_and_keys_differ() -> None:
    assert pseudonymise("alice", KEY) != pseudonymise("bob", KEY)
    assert pseudonymise("alice", KEY) != pseudonymise("alice", b"other-key")


def test_does_not_contain_the_author_and_is_not_a_plain_hash() -> None:
    key = pseudonymise("alice", KEY)
    assert key is not None
    assert "alice" not in key
    assert key != hashlib.sha256(b"alice").hexdigest()[:32]


@pytest.mark.parametrize("author", [None, "", "   ", "\u3000"])
def test_no_author(author: str | None) -> None:
    assert pseudonymise(author, KEY) is None


def test_chinese_and_odd_input() -> None:
    assert pseudonymise("人民日报", KEY) != pseudonymise("人民网", KEY)
    assert pseudonymise("lone \ud800 surrogate", KEY) is not None


def test_empty_key_is_refused() -> None:
    with pytest.raises(ValueError):
        pseudonymise("alice", b"")
