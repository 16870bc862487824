"""Shared renderings: content, limits, both languages, and hostile text kept inert."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from groundswell.alerts.notifiers.render import (
    MAX_POST_CHARS,
    ZWSP,
    escape_markdown,
    render_html,
    render_markdown,
    render_text,
    safe_url,
    short_text,
)
from tests.alerts.notifiers.messages import hostile_message, make_message, post


def test_text_has_reason_counts_links_and_evidence() -> None:
    text = render_text(make_message(), "zh")
    assert text.splitlines()[0] == "【II级 橙色】地铁站积水 Metro flooding"
    assert "原因: volume 48 posts/hour vs baseline 6" in text
    assert "观测值 48, 基线 6, 阈值 4, 倍数 8" in text
    assert "第 2 条证据" in text and "https://news.example.cn/a/2" in text
    assert "一键确认: https://desk.example.org/alerts/42/ack?sig=abc123" in text
    assert "值班: 王值班" in text


def test_english_and_update_marks() -> None:
    text = render_text(make_message(update="escalated"), "en")
    assert text.startswith("‼ [Level II orange] 地铁站积水")
    assert "Reason: volume" in text and "Acknowledge: https://" in text
    assert "observed 48, baseline 6, threshold 4, ratio 8" in text


def test_at_most_five_posts_of_at_most_140_chars() -> None:
    long_text = "很长的帖子" * 100
    message = make_message(posts=tuple(post(i, long_text) for i in range(1, 9)))
    text = render_text(message, "zh")
    assert text.count("很长的帖子") < 6 * 40  # nothing like 8 x 100 repetitions
    evidence = [line for line in text.splitlines() if line.startswith("- ")]
    assert len(evidence) == 5
    assert "另有 3 条" in text
    for line in evidence:
        body = line.split(": ", 1)[1].rsplit(" https://", 1)[0]
        assert len(body) <= MAX_POST_CHARS and body.endswith("…")


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.hrefs += [v or "" for k, v in attrs if k == "href"]


def test_html_escapes_everything_from_posts() -> None:
    page = render_html(hostile_message(), "en")
    parser = _Tags()
    parser.feed(page)
    assert set(parser.tags) <= {
        "div",
        "h2",
        "h3",
        "p",
        "strong",
        "table",
        "tr",
        "th",
        "td",
        "ol",
        "li",
        "a",
    }
    assert "script" not in parser.tags and "at" not in parser.tags
    assert all(h.startswith("https://") for h in parser.hrefs)  # javascript: URL dropped
    assert "&lt;script&gt;" in page


def _unescaped(pattern: str, text: str) -> list[str]:
    """Occurrences of `pattern` not preceded by a backslash."""
    return re.findall(r"(?<!\\)" + pattern, text)


def test_markdown_escapes_formatting_links_and_mentions() -> None:
    md = render_markdown(hostile_message(), "en")
    assert "<" not in md.replace('<font color="warning">', "")  # no raw tags, <@U>, <!channel>
    assert "@all" not in md and f"@{ZWSP}all" in md
    assert not _unescaped(r"\[click\]", md)
    assert not _unescaped(r"`", md)
    assert not _unescaped(r"\*\*bold", md)
    links = re.findall(r"(?<!\\)\]\(([^)]*)\)", md)
    assert links and all(u.startswith("https://") for u in links)


def test_escape_markdown_keeps_ordinary_text_readable() -> None:
    assert escape_markdown("增长 3.5% (2026-11-28)") == "增长 3.5% (2026-11-28)"
    assert escape_markdown("# not a heading") == "\\# not a heading"
    assert escape_markdown("a_b*c") == "a\\_b\\*c"


def test_safe_url() -> None:
    assert safe_url("javascript:alert(1)") is None
    assert safe_url("data:text/html,x") is None
    assert safe_url("https://x.cn/a b)c") == "https://x.cn/a%20b%29c"
    assert safe_url(None) is None


def test_short_text_keeps_the_ack_link_within_limit() -> None:
    message = make_message(title="标题" * 200)
    text = short_text(message, "zh", 120)
    assert len(text) <= 120
    assert text.endswith("一键确认: https://desk.example.org/alerts/42/ack?sig=abc123")
    assert text.startswith("【II级 橙色】标题")
    assert "@all" not in short_text(make_message(title="@all 快看"), "zh", 120)
    assert short_text(message, "zh", 70).endswith(
        " https://desk.example.org/alerts/42/ack?sig=abc123"
    )
    assert (
        short_text(message, "zh", 40) == "【II级 橙色】" + "标题" * 15 + "标…"
    )  # no room: no link
