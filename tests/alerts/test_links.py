"""Signed acknowledgement links cannot be forged, moved to another alert, or used late."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from groundswell.alerts.links import ack_url, verify_ack
from groundswell.errors import ConfigError

KEY = b"k" * 32
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def parts(url: str) -> tuple[int, int, str]:
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    return int(query["u"]), int(query["exp"]), query["sig"]


def test_a_link_verifies_for_its_alert_and_person_until_it_expires() -> None:
    url = ack_url("https://desk.example/", KEY, 42, 7, NOW + timedelta(days=1))
    assert url.startswith("https://desk.example/alerts/42/ack?")
    user, exp, sig = parts(url)
    verify_ack(KEY, 42, user, exp, sig, NOW)
    with pytest.raises(ConfigError, match="expired"):
        verify_ack(KEY, 42, user, exp, sig, NOW + timedelta(days=2))


@pytest.mark.parametrize(
    "change",
    [
        lambda a, u, e, s: (a + 1, u, e, s),  # another alert
        lambda a, u, e, s: (a, u + 1, e, s),  # another person
        lambda a, u, e, s: (a, u, e + 86400, s),  # a longer life
        lambda a, u, e, s: (a, u, e, s[:-1] + ("A" if s[-1] != "A" else "B")),
    ],
)
def test_a_changed_link_is_refused(change) -> None:  # type: ignore[no-untyped-def]
    user, exp, sig = parts(ack_url("http://x", KEY, 42, 7, NOW + timedelta(days=1)))
    alert, user, exp, sig = change(42, user, exp, sig)
    with pytest.raises(ConfigError, match="not valid"):
        verify_ack(KEY, alert, user, exp, sig, NOW)


def test_another_desk_key_does_not_verify() -> None:
    user, exp, sig = parts(ack_url("http://x", KEY, 1, 0, NOW + timedelta(hours=1)))
    with pytest.raises(ConfigError):
        verify_ack(b"other" * 8, 1, user, exp, sig, NOW)
