"""What a notifier is given: one alert, rendered-neutral, with its evidence.

Notifiers turn this into their channel's format; the alert engine builds it from
the stored alert. It carries everything a duty officer needs to act without
opening the UI: the level and why, the counts against the baseline, and the
posts themselves (text is hostile: every renderer escapes for its format).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

LEVEL_NAMES = {1: "I", 2: "II", 3: "III", 4: "IV"}
LEVEL_COLOURS = {1: "red", 2: "orange", 3: "yellow", 4: "blue"}


@dataclass(frozen=True)
class EvidencePost:
    title: str
    text: str
    url: str | None
    source: str
    published_at: datetime | None
    sentiment: str | None = None
    reposts: int = 0


@dataclass(frozen=True)
class AlertMessage:
    """One delivery of one alert (a new alert, a raised level, or an escalation)."""

    alert_id: int
    level: int  # 1 (I, most severe, red) .. 4 (IV, blue)
    title: str
    reason: str  # plain-language: the rule, the numbers, why this level
    rule: str  # rule name
    # rule kind: new_event, volume_spike, negative_rise, critical_term, authority, repost_velocity
    kind: str
    created_at: datetime
    scheme: str | None = None
    event_id: str | None = None
    counts: dict[str, Any] = field(default_factory=dict)  # observed, baseline, threshold, ...
    posts: tuple[EvidencePost, ...] = ()
    url: str | None = None  # the alert in the UI
    ack_url: str | None = None  # signed one-click acknowledgement
    update: str = "new"  # new | raised | updated | escalated
    recipient: str | None = None  # display name of the person on duty, if any
    department: str | None = None
    reason_zh: str | None = None  # the reason in Chinese, when the engine wrote one

    def reason_in(self, locale: str) -> str:
        """The reason in `locale` ("zh" or "en"); English when no Chinese one was written."""
        return self.reason_zh if locale.startswith("zh") and self.reason_zh else self.reason

    @property
    def level_name(self) -> str:
        return LEVEL_NAMES[self.level]

    @property
    def colour(self) -> str:
        return LEVEL_COLOURS[self.level]

    @property
    def headline(self) -> str:
        """One line for subjects and titles: `[II orange] title`."""
        prefix = {"raised": "↑ ", "escalated": "‼ "}.get(self.update, "")
        return f"{prefix}[{self.level_name} {self.colour}] {self.title}"
