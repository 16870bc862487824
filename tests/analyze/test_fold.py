"""Folding for matching: width, case and Traditional/Simplified variants become one form."""

from __future__ import annotations

from groundswell.analyze.fold import fold, to_simplified


def test_full_width_case_and_traditional_fold_together() -> None:
    assert fold("ＡＢＣ 臺灣") == fold("abc 台湾") == "abc 台湾"
    assert fold("頭髮發展") == "头发发展"  # one-to-many characters resolved by phrase
    assert fold("Straße") == "strasse"
    assert to_simplified("後來") == "后来"


def test_odd_input_never_raises() -> None:
    assert fold("") == ""
    assert fold("😀🔥") == "😀🔥"
    assert fold("bad \ud800 surrogate 臺") == "bad \ufffd surrogate 台"
    assert to_simplified("\udfff臺") == "\ufffd台"
    assert len(fold("臺" * 1_000_000)) == 1_000_000
