"""Source registry, schedule and health in the store."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from groundswell.context import Desk
from groundswell.errors import ConfigError
from groundswell.store.sources import (
    RunOutcome,
    add_source,
    due_sources,
    get_source,
    list_sources,
    record_run,
    remove_source,
    spread_after_restart,
)

NOW = datetime(2026, 8, 1, 12, 0, tzinfo=UTC)


def test_add_list_remove(desk: Desk) -> None:
    with desk.engine.begin() as conn:
        add_source(conn, "b", "rss", {"url": "https://b.example/feed"})
        add_source(conn, "a", "push", {"token": "x" * 16})
        with pytest.raises(ConfigError, match="already exists"):
            add_source(conn, "a", "rss", {"url": "https://a.example/feed"})
        assert [r.name for r in list_sources(conn)] == ["a", "b"]
        remove_source(conn, "a")
        with pytest.raises(ConfigError, match="no source"):
            remove_source(conn, "a")
        assert [r.name for r in list_sources(conn)] == ["b"]


def test_failures_are_counted_and_kept_until_a_success(desk: Desk) -> None:
    with desk.engine.begin() as conn:
        source = add_source(conn, "s", "rss", {"url": "https://example.org/feed"}, now=NOW)
        assert source.status == "new"
        for i in range(2):
            record_run(conn, RunOutcome(source.id, NOW, NOW, "error", error=f"timeout {i}"))
        failing = get_source(conn, "s")
        assert (failing.status, failing.consecutive_failures) == ("failing", 2)
        assert failing.last_error == "timeout 1"
        record_run(conn, RunOutcome(source.id, NOW, NOW + timedelta(seconds=1), "ok", stored=5))
        ok = get_source(conn, "s")
        assert (ok.status, ok.consecutive_failures, ok.posts_total) == ("ok", 0, 5)
        assert ok.last_success_at == NOW + timedelta(seconds=1)


def test_due_sources_most_overdue_first_and_push_never_polled(desk: Desk) -> None:
    with desk.engine.begin() as conn:
        for i, name in enumerate(["late", "later", "future"]):
            s = add_source(conn, name, "rss", {"url": f"https://{name}.example/feed"}, now=NOW)
            due = (
                NOW - timedelta(minutes=10 - 4 * i)
                if name != "future"
                else NOW + timedelta(hours=1)
            )
            record_run(conn, RunOutcome(s.id, NOW, NOW, "ok", next_due_at=due))
        add_source(conn, "pushed", "push", {"token": "x" * 16}, now=NOW - timedelta(days=1))
        assert [r.name for r in due_sources(conn, NOW, 10)] == ["late", "later"]


def test_restart_spreads_overdue_sources(desk: Desk) -> None:
    with desk.engine.begin() as conn:
        for i in range(10):
            add_source(conn, f"s{i}", "rss", {"url": f"https://s{i}.example/feed"}, now=NOW)
        n = spread_after_restart(conn, NOW, timedelta(seconds=100), seed=1)
        times = sorted(r.next_due_at for r in list_sources(conn))
    assert n == 10
    assert times[0] >= NOW and times[-1] <= NOW + timedelta(seconds=100)
    gaps = {(b - a).total_seconds() > 0 for a, b in itertools.pairwise(times)}
    assert gaps == {True}  # all distinct: no stampede
