"""html_to_text and clean_text, including hostile and broken markup."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from groundswell.normalize import text as text_module
from groundswell.normalize.text import clean_text, html_to_text

FEEDS = Path("../shared/data/feeds")


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<p>Hello <b>world</b></p>", "Hello world"),
        ("<p>one</p><p>two</p>", "one\ntwo"),
        ("line<br>break<br/>again", "line\nbreak\nagain"),
        ("<ul><li>a</li><li>b</li></ul>", "a\nb"),
        ("<h1>Title</h1><div>Body   text\n  wraps here</div>", "Title\nBody text wraps here"),
        ("<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>", "a b\nc"),
        ("AT&amp;T &lt;tag&gt; &#20013;&#x6587; &quot;q&quot;", 'AT&T <tag> 中文 "q"'),
        ("&nbsp;spaced&nbsp;out", "spaced\xa0out"),  # clean_text turns the NBSP into a space
        ("plain text, no markup", "plain text, no markup"),
        ("", ""),
    ],
)
def test_html_to_text(html: str, expected: str) -> None:
    assert html_to_text(html) == expected


@pytest.mark.parametrize(
    "html",
    [
        "<script>alert(1)</script>visible",
        "<style>body{display:none}</style>visible",
        "<noscript>enable js</noscript>visible",
        "<template><p>hidden</p></template>visible",
        "<iframe src='https://evil.example'>frame text</iframe>visible",
        "<svg onload=alert(1)><text>svg text</text></svg>visible",
        "<img src=x onerror=alert(1)>visible",
        "<a href='javascript:alert(1)' onclick='steal()'>visible</a>",
        "<SCRIPT>document.write('x')</SCRIPT >visible",
        "<head><title>site name</title></head><body>visible</body>",
        "<!DOCTYPE html><html><head><script>x()</script></head><body>visible</body></html>",
    ],
)
def test_hostile_markup_leaves_only_visible_text(html: str) -> None:
    assert html_to_text(html) == "visible"


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<p>unclosed <b>bold <div>block", "unclosed bold\nblock"),
        ("<div><p>para</div></span></p>after", "para\nafter"),
        ("<<<>>> <a <b>text", "<<<>>> text"),
        ("<p attr='unterminated>text", ""),
        ("text with \x00 nul", "text with nul"),
        ("</p></div></html>", ""),
        ("<!-- comment -->after<!-- unterminated", "after"),
    ],
)
def test_broken_markup(html: str, expected: str) -> None:
    assert html_to_text(html) == expected


def test_a_megabyte_of_nested_divs_neither_hangs_nor_blows_the_stack() -> None:
    depth = 1_000_000 // len("<div></div>")
    html = "<div>" * depth + "deep text" + "</div>" * depth
    start = time.perf_counter()
    assert html_to_text(html) == "deep text"
    unclosed = "<div>" * (1_000_000 // 5) + "tail"
    assert html_to_text(unclosed) == "tail"
    assert time.perf_counter() - start < 10  # unguarded lexbor takes minutes


def test_nesting_within_the_limit_is_untouched() -> None:
    depth = text_module.MAX_DEPTH - 1
    html = "<span>x</span>" * 300 + "<div>" * depth + "deep" + "</div>" * depth
    assert text_module._flatten_deep(html, text_module.MAX_DEPTH) == html


def test_flattening_keeps_text_and_block_breaks() -> None:
    html = "<div>" * 300 + "a<p>b</p>c" + "</div>" * 300
    assert text_module._flatten_deep(html, 256).count("<div>") == 256
    assert html_to_text(html + "<span>x</span>" * 1100) == "a\nb\nc\n" + "x" * 1100


def test_parser_failure_falls_back_to_regex(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(html: str) -> object:
        raise RuntimeError("parser exploded")

    monkeypatch.setattr(text_module, "LexborHTMLParser", broken)
    html = "<p>a &amp; b</p><script>x()</script><div>c</div>"
    assert html_to_text(html) == "a & b\nc"


def test_real_feed_files_never_raise() -> None:
    files = sorted(p for p in FEEDS.rglob("*") if p.is_file())
    assert len(files) > 100
    for path in files:
        result = html_to_text(path.read_bytes().decode("utf-8", "replace"))
        assert isinstance(result, str)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  padded  ", "padded"),
        ("many    spaces\tand\ttabs", "many spaces and tabs"),
        ("para one\n\n\n\npara two", "para one\npara two"),
        ("line  \n   next", "line\nnext"),
        ("crlf\r\nand\rcr", "crlf\nand\ncr"),
        ("ｆｕｌｌ　ｗｉｄｔｈ１２３", "full width123"),
        ("ﬁ ligature ①", "fi ligature 1"),
        ("zero\u200bwidth\u200c\u200d\ufeffjoin", "zerowidthjoin"),
        ("soft\u00adhyphen", "softhyphen"),
        ("bidi \u202eevil\u202c mark\u200f", "bidi evil mark"),
        ("nul\x00 bell\x07 esc\x1b del\x7f c1\x85next", "nul bell esc del c1\nnext"),
        ("nbsp\xa0here", "nbsp here"),
        ("line\u2028sep\u2029para", "line\nsep\npara"),
        ("中文，全角！", "中文,全角!"),
        ("", ""),
        (" \n\t ", ""),
    ],
)
def test_clean_text(raw: str, expected: str) -> None:
    assert clean_text(raw) == expected
    assert clean_text(expected) == expected  # idempotent
