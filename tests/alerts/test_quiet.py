"""Quiet hours: minor alerts wait for morning, severe ones never wait."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from groundswell.alerts.quiet import QuietHours
from groundswell.errors import ConfigError

NIGHT = QuietHours.from_json({"start": "22:00", "end": "07:00", "timezone": "Asia/Shanghai"})


def test_a_minor_alert_at_night_waits_until_the_end_of_quiet_hours() -> None:
    assert NIGHT is not None
    # 23:30 in Shanghai is 15:30 UTC
    held = NIGHT.hold_until(datetime(2026, 11, 2, 15, 30, tzinfo=UTC), level=4)
    assert held == datetime(2026, 11, 2, 23, 0, tzinfo=UTC)  # 07:00 next morning, Shanghai


def test_severe_alerts_and_daytime_alerts_go_at_once() -> None:
    assert NIGHT is not None
    assert NIGHT.hold_until(datetime(2026, 11, 2, 15, 30, tzinfo=UTC), level=2) is None
    assert NIGHT.hold_until(datetime(2026, 11, 2, 4, 0, tzinfo=UTC), level=4) is None  # noon


def test_a_same_day_window_works_too() -> None:
    lunch = QuietHours.from_json({"start": "12:00", "end": "13:30", "timezone": "UTC"})
    assert lunch is not None
    assert lunch.hold_until(datetime(2026, 1, 1, 12, 10, tzinfo=UTC), 3) == datetime(
        2026, 1, 1, 13, 30, tzinfo=UTC
    )
    assert lunch.hold_until(datetime(2026, 1, 1, 13, 30, tzinfo=UTC), 3) is None


@pytest.mark.parametrize(
    "bad",
    [
        {"start": "22:00"},
        {"start": "25:00", "end": "07:00"},
        {"start": "22:00", "end": "07:00", "timezone": "Mars/Olympus"},
        {"start": "07:00", "end": "07:00"},
    ],
)
def test_bad_quiet_hours_are_refused_clearly(bad: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match="quiet_hours"):
        QuietHours.from_json(bad)
