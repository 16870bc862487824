"""Alert messages for notifier tests, some with hostile evidence."""

from __future__ import annotations

from datetime import UTC, datetime

from groundswell.alerts.message import AlertMessage, EvidencePost

HOSTILE = (
    "<script>alert(1)</script> [click](javascript:alert(1)) @all <@U123> <!channel> "
    '`rm -rf` **bold** <at user_id="all"></at> & done'
)


def post(i: int, text: str = "", url: str | None = None) -> EvidencePost:
    return EvidencePost(
        title=f"帖子 {i}",
        text=text or f"第 {i} 条证据：地铁站积水严重，多人被困。",
        url=url if url is not None else f"https://news.example.cn/a/{i}",
        source="weibo",
        published_at=datetime(2026, 11, 28, 9, i, tzinfo=UTC),
        sentiment="negative",
        reposts=10 * i,
    )


def make_message(**overrides: object) -> AlertMessage:
    values: dict[str, object] = {
        "alert_id": 42,
        "level": 2,
        "title": "地铁站积水 Metro flooding",
        "reason": "volume 48 posts/hour vs baseline 6 (8x, threshold 4x)",
        "rule": "volume-spike-metro",
        "kind": "volume_spike",
        "created_at": datetime(2026, 11, 28, 9, 30, tzinfo=UTC),
        "counts": {"observed": 48, "baseline": 6.0, "threshold": 4, "ratio": 8.0},
        "posts": tuple(post(i) for i in range(1, 4)),
        "url": "https://desk.example.org/alerts/42",
        "ack_url": "https://desk.example.org/alerts/42/ack?sig=abc123",
        "recipient": "王值班",
        "department": "宣传部",
    }
    values.update(overrides)
    return AlertMessage(**values)  # type: ignore[arg-type]


def hostile_message() -> AlertMessage:
    return make_message(
        title=f"Title {HOSTILE}",
        posts=(post(1, HOSTILE, url="javascript:alert(1)"), post(2, HOSTILE)),
    )
