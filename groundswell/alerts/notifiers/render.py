"""Plain text, Markdown and HTML renderings of an alert, in Chinese and English.

Channels share these so every alert reads the same everywhere: headline, the
reason, the counts against the baseline, at most five evidence posts of at most
140 characters each, the link to the alert and the one-click acknowledgement.
Post text is hostile: every rendering escapes it for its format, and mentions
(`@all`, `<@user>`, `<!channel>`) are broken so a post can never page a group.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from groundswell.alerts.message import AlertMessage, EvidencePost

MAX_POSTS = 5
MAX_POST_CHARS = 140
MIN_HEADLINE_CHARS = 16  # enough for "【II级 橙色】" and a few words
ZWSP = "\u200b"  # zero-width space: keeps `@all` readable but no longer a mention

LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "reason": "原因",
        "rule": "规则",
        "counts": "数据",
        "evidence": "证据",
        "open": "查看预警",
        "ack": "一键确认",
        "duty": "值班",
        "department": "部门",
        "more": "另有 {n} 条",
        "observed": "观测值",
        "baseline": "基线",
        "threshold": "阈值",
        "ratio": "倍数",
        "window": "窗口",
        "new": "新预警",
        "raised": "级别上调",
        "updated": "更新",
        "escalated": "升级督办",
        "red": "红色",
        "orange": "橙色",
        "yellow": "黄色",
        "blue": "蓝色",
    },
    "en": {
        "reason": "Reason",
        "rule": "Rule",
        "counts": "Numbers",
        "evidence": "Evidence",
        "open": "Open alert",
        "ack": "Acknowledge",
        "duty": "On duty",
        "department": "Department",
        "more": "{n} more",
        "observed": "observed",
        "baseline": "baseline",
        "threshold": "threshold",
        "ratio": "ratio",
        "window": "window",
        "new": "New alert",
        "raised": "Level raised",
        "updated": "Updated",
        "escalated": "Escalated",
        "red": "red",
        "orange": "orange",
        "yellow": "yellow",
        "blue": "blue",
    },
}
COUNT_ORDER = ("observed", "baseline", "threshold", "ratio", "window")
UPDATE_MARKS = {"raised": "↑ ", "escalated": "‼ "}


def labels(locale: str) -> dict[str, str]:
    return LABELS.get(locale, LABELS["zh"])


@dataclass(frozen=True)
class PostView:
    """One evidence post cut to size, raw (unescaped) text; renderers escape."""

    title: str
    text: str
    url: str | None  # only http(s), with unsafe characters quoted
    source: str
    published: str  # "2026-11-28 09:15" or ""


def truncate(text: str, limit: int) -> str:
    """At most `limit` characters, whitespace collapsed, an ellipsis when cut."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def truncate_bytes(text: str, max_bytes: int) -> str:
    """At most `max_bytes` of UTF-8 (bot APIs count bytes), cut on a character boundary."""
    data = text.encode("utf-8")
    if len(data) <= max_bytes:
        return text
    return data[: max_bytes - 3].decode("utf-8", errors="ignore") + "…"


def safe_url(url: str | None) -> str | None:
    """An http(s) URL with characters that could break out of a link quoted; else None."""
    if not url:
        return None
    url = url.strip()
    if urlsplit(url).scheme.lower() not in ("http", "https"):
        return None
    return quote(url, safe="/:?#[]@!$&'*+,;=%-._~")


def break_mentions(text: str) -> str:
    """`@all`, `@everyone`, `@13800000000` stay readable but no platform reads them as mentions."""
    return text.replace("@", "@" + ZWSP)


def posts(message: AlertMessage) -> list[PostView]:
    return [_view(p) for p in message.posts[:MAX_POSTS]]


def _view(post: EvidencePost) -> PostView:
    stamp = post.published_at.strftime("%Y-%m-%d %H:%M") if post.published_at else ""
    return PostView(
        title=truncate(post.title, MAX_POST_CHARS),
        text=truncate(post.text, MAX_POST_CHARS),
        url=safe_url(post.url),
        source=truncate(post.source, 60),
        published=stamp,
    )


def headline(message: AlertMessage, locale: str) -> str:
    """`‼ 【II级 橙色】title` / `‼ [Level II orange] title` (raw text)."""
    words = labels(locale)
    mark = UPDATE_MARKS.get(message.update, "")
    colour = words[message.colour]
    title = truncate(message.title, 120)
    if locale == "en":
        return f"{mark}[Level {message.level_name} {colour}] {title}"
    return f"{mark}【{message.level_name}级 {colour}】{title}"


def count_pairs(message: AlertMessage, locale: str) -> list[tuple[str, str]]:
    """(label, value) for the counts, the usual ones first in a fixed order."""
    words = labels(locale)
    keys = [k for k in COUNT_ORDER if k in message.counts]
    keys += sorted(k for k in message.counts if k not in COUNT_ORDER)
    return [(words.get(k, k), _number(message.counts[k])) for k in keys]


def counts_line(message: AlertMessage, locale: str) -> str:
    return ", ".join(f"{label} {value}" for label, value in count_pairs(message, locale))


def _number(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return str(value)


def meta_line(message: AlertMessage, locale: str) -> str:
    words = labels(locale)
    parts = [words.get(message.update, message.update), f"{words['rule']}: {message.rule}"]
    if message.recipient:
        parts.append(f"{words['duty']}: {message.recipient}")
    if message.department:
        parts.append(f"{words['department']}: {message.department}")
    return " · ".join(parts)


def post_line(post: PostView) -> str:
    """`source 2026-11-28 09:15 | title: text` (raw)."""
    head = " ".join(x for x in (post.source, post.published) if x)
    body = f"{post.title}: {post.text}" if post.title and post.title != post.text else post.text
    return f"{head} | {body}" if head else body


def more_posts(message: AlertMessage, locale: str) -> str | None:
    extra = len(message.posts) - MAX_POSTS
    return labels(locale)["more"].format(n=extra) if extra > 0 else None


# --- plain text ---------------------------------------------------------------------------


def render_text(message: AlertMessage, locale: str = "zh") -> str:
    """Plain text (e-mail text part, chat fallbacks): mentions broken, nothing else to escape."""
    words = labels(locale)
    b = break_mentions
    lines = [b(headline(message, locale)), b(meta_line(message, locale)), ""]
    lines.append(f"{words['reason']}: {b(message.reason_in(locale))}")
    if message.counts:
        lines.append(f"{words['counts']}: {b(counts_line(message, locale))}")
    views = posts(message)
    if views:
        lines += ["", f"{words['evidence']}:"]
        lines += [f"- {b(post_line(p))}" + (f" {p.url}" if p.url else "") for p in views]
        if more := more_posts(message, locale):
            lines.append(f"  ({more})")
    links = _links(message, locale)
    if links:
        lines.append("")
        lines += [f"{label}: {url}" for label, url in links]
    return "\n".join(lines)


def _links(message: AlertMessage, locale: str) -> list[tuple[str, str]]:
    words = labels(locale)
    found = [(words["open"], safe_url(message.url)), (words["ack"], safe_url(message.ack_url))]
    return [(label, url) for label, url in found if url]


def short_text(message: AlertMessage, locale: str, limit: int) -> str:
    """For SMS: level and title, then the acknowledgement link, never over `limit` characters.

    When room is short the link loses its label first; a link that leaves no room
    for the headline is dropped (a cut URL is worse than none).
    """
    ack = safe_url(message.ack_url)
    tails = [f" {labels(locale)['ack']}: {ack}", f" {ack}"] if ack else []
    for tail in [*tails, ""]:
        if limit - len(tail) >= MIN_HEADLINE_CHARS or not tail:
            return break_mentions(truncate(headline(message, locale), limit - len(tail))) + tail
    raise AssertionError("unreachable")


# --- Markdown -----------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
_MD_LEADING = re.compile(r"^([#+>=-])")


def escape_markdown(text: str) -> str:
    """Text that renders as itself in Markdown: one line, specials backslashed, no HTML/mentions."""
    text = " ".join(text.split())
    text = html.escape(text, quote=False)  # & < > : no tags, no <@user>, no <!channel>
    text = _MD_LEADING.sub(r"\\\1", _MD_SPECIAL.sub(r"\\\1", text))
    return break_mentions(text)


def md_link(label: str, url: str | None) -> str:
    safe = safe_url(url)
    return f"[{escape_markdown(label)}]({safe})" if safe else escape_markdown(label)


def render_markdown(message: AlertMessage, locale: str = "zh", colour_tag: bool = False) -> str:
    """CommonMark subset every bot accepts (headings, bold, quotes, lists, links).

    `colour_tag` wraps the headline in WeCom's `<font color=...>` (the only HTML
    WeCom renders; our own markup, never post text).
    """
    words = labels(locale)
    title = escape_markdown(headline(message, locale))
    if colour_tag:
        font = {"red": "warning", "orange": "warning", "yellow": "comment", "blue": "info"}
        title = f'<font color="{font[message.colour]}">{title}</font>'
    lines = [f"### {title}", f"> {escape_markdown(meta_line(message, locale))}", ""]
    lines.append(f"**{words['reason']}:** {escape_markdown(message.reason_in(locale))}")
    if message.counts:  # a blank line between: some bots join single newlines
        lines += ["", f"**{words['counts']}:** {escape_markdown(counts_line(message, locale))}"]
    views = posts(message)
    if views:
        lines += ["", f"**{words['evidence']}:**"]
        for p in views:
            item = escape_markdown(post_line(p))
            lines.append(f"- {item} ({md_link('🔗', p.url)})" if p.url else f"- {item}")
        if more := more_posts(message, locale):
            lines.append(f"- {escape_markdown(more)}")
    links = _links(message, locale)
    if links:
        lines += ["", " · ".join(f"[{escape_markdown(label)}]({url})" for label, url in links)]
    return "\n".join(lines)


# --- HTML ---------------------------------------------------------------------------------

_HTML_COLOURS = {"red": "#c0392b", "orange": "#d35400", "yellow": "#b7950b", "blue": "#2471a3"}


def _h(text: str) -> str:
    return html.escape(text, quote=True)


def render_html(message: AlertMessage, locale: str = "zh") -> str:
    """A self-contained HTML fragment for e-mail; every piece of text is escaped."""
    words = labels(locale)
    colour = _HTML_COLOURS[message.colour]
    out = [
        f'<div style="font-family:sans-serif;max-width:720px" lang="{_h(locale)}">',
        f'<h2 style="color:{colour};margin:0 0 4px">{_h(headline(message, locale))}</h2>',
        f'<p style="color:#666;margin:0 0 12px">{_h(meta_line(message, locale))}</p>',
        f"<p><strong>{_h(words['reason'])}:</strong> {_h(message.reason_in(locale))}</p>",
    ]
    if message.counts:
        cells = "".join(
            f"<tr><th align='left'>{_h(k)}</th><td>{_h(v)}</td></tr>"
            for k, v in count_pairs(message, locale)
        )
        out.append(f"<table cellpadding='3'>{cells}</table>")
    views = posts(message)
    if views:
        out.append(f"<h3>{_h(words['evidence'])}</h3><ol>")
        for p in views:
            line = _h(post_line(p))
            if p.url:
                line += f' <a href="{_h(p.url)}">🔗</a>'
            out.append(f"<li>{line}</li>")
        out.append("</ol>")
        if more := more_posts(message, locale):
            out.append(f"<p>{_h(more)}</p>")
    links = _links(message, locale)
    if links:
        out.append(
            "<p>" + " · ".join(f'<a href="{_h(url)}">{_h(lb)}</a>' for lb, url in links) + "</p>"
        )
    out.append("</div>")
    return "\n".join(out)
