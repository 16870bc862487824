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


def test_scrub_author_replaces_the_name_everywhere_and_drops_contacts() -> None:
    from groundswell.normalize.pseudonym import scrub_author

    raw = {
        "author": "Zhang Wei",
        "author_detail": {"name": "Zhang Wei", "email": "zw@example.org"},
        "summary": "posted by Zhang Wei today",
        "tags": [{"term": "Zhang Wei"}, {"term": "city"}],
        "count": 3,
    }
    scrubbed = scrub_author(raw, "Zhang Wei", "author:abc")
    assert "Zhang Wei" not in repr(scrubbed) and "zw@example.org" not in repr(scrubbed)
    assert scrubbed["author"] == "author:abc" and scrubbed["count"] == 3
    assert scrubbed["tags"][1] == {"term": "city"}
    assert raw["author"] == "Zhang Wei"  # the input is not changed


def test_normalised_post_raw_and_quarantine_never_name_the_author() -> None:
    from groundswell.models import RawItem
    from groundswell.normalize.post import Normaliser

    normaliser = Normaliser(b"k")
    good = RawItem(raw={"user": "王小明", "text": "hello"}, text="hello", author="王小明")
    bad = RawItem(raw={"user": "王小明"}, author="王小明")
    posts, rejected = normaliser.normalise([good, bad], 1)
    assert "王小明" not in repr(posts[0].raw) and "王小明" not in repr(rejected[0].raw)
    assert posts[0].raw["user"] == f"author:{posts[0].author_key}"
