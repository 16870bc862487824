"""Fingerprints: stable across processes, round-trip, bounded, and reject foreign bytes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from groundswell.analyze.dedup.fingerprint import (
    MAX_SHINGLES,
    decode_fingerprint,
    fingerprint,
    fingerprint_of,
)

ROOT = Path(__file__).resolve().parents[3]


def test_round_trip(weibo_posts: list[str], tweets: list[str]) -> None:
    for text in [*weibo_posts[:5], *tweets[:5], "", "😀"]:
        value = fingerprint_of(text)
        back = decode_fingerprint(fingerprint(text))
        assert back.n_tokens == value.n_tokens and back.exact == value.exact
        assert back.truncated == value.truncated
        assert np.array_equal(back.shingles, value.shingles)


def test_same_bytes_in_another_process_with_another_hash_seed(weibo_posts: list[str]) -> None:
    text = weibo_posts[0]
    code = (
        "import sys; from groundswell.analyze.dedup import fingerprint;"
        "sys.stdout.write(fingerprint(sys.argv[1]).hex())"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", code, text], cwd=ROOT, env=env, capture_output=True, check=True
    )
    assert out.stdout.decode() == fingerprint(text).hex()


def test_order_changes_the_shingles() -> None:
    a = fingerprint_of("甲乙丙丁戊己庚辛").shingles
    b = fingerprint_of("辛庚己戊丁丙乙甲").shingles
    assert not set(a.tolist()) & set(b.tolist())


def test_a_huge_post_gives_a_bounded_fingerprint() -> None:
    data = fingerprint("Breaking news from the wire " * 40_000)  # ~1.1 MB
    assert len(data) <= 16 + 4 * MAX_SHINGLES
    assert decode_fingerprint(data).n_tokens > MAX_SHINGLES


def test_huge_posts_differing_late_are_not_exact_copies() -> None:
    base = "word " * 3_000
    assert fingerprint_of(base + "alpha").exact != fingerprint_of(base + "omega").exact


@pytest.mark.parametrize("data", [b"", b"\x01", b"\x09" + bytes(15), bytes(17)])
def test_foreign_bytes_are_rejected(data: bytes) -> None:
    with pytest.raises(ValueError):
        decode_fingerprint(data)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_any_text_fingerprints_and_round_trips(text: str) -> None:
    data = fingerprint(text)
    back = decode_fingerprint(data)
    assert back.exact == fingerprint_of(text).exact
    assert len(back.shingles) <= max(back.n_tokens - 2, 1)
