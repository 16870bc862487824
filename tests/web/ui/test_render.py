"""Highlighting escapes first and marks after; only local paths follow sign-in."""

from __future__ import annotations

from groundswell.web.ui.render import highlight, safe_next


def test_highlight_escapes_everything_but_its_marks() -> None:
    html = str(highlight('<b>Metro</b> "fail" & 地铁<script>x</script>', ["metro", "地铁"]))
    assert html == (
        "&lt;b&gt;<mark>Metro</mark>&lt;/b&gt; &#34;fail&#34; &amp; "
        "<mark>地铁</mark>&lt;script&gt;x&lt;/script&gt;"
    )


def test_highlight_prefers_longer_terms_and_ignores_blank_ones() -> None:
    assert str(highlight("地铁站 地铁", ["地铁", "地铁站", " "])) == (
        "<mark>地铁站</mark> <mark>地铁</mark>"
    )
    assert str(highlight("a <i>", [])) == "a &lt;i&gt;"
    assert str(highlight("x.*y", [".*"])) == "x<mark>.*</mark>y"  # terms are literal


def test_terms_cannot_inject_markup() -> None:
    assert str(highlight("<img>", ["<img>"])) == "<mark>&lt;img&gt;</mark>"


def test_only_local_paths_follow_sign_in() -> None:
    assert safe_next("/feed?scheme=1") == "/feed?scheme=1"
    for hostile in ("//evil.example", "https://evil.example", "/\\evil", "", None, "javascript:x"):
        assert safe_next(hostile) == "/"
