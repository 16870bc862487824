"""The retention sweep deletes exactly what the policy no longer keeps, and nothing else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from groundswell.accounts import audit as audit_store
from groundswell.context import Desk
from groundswell.store.retention import Policy, sweep
from groundswell.store.tables import events, post_matches, posts
from groundswell.store.tables_accounts import audit_log
from groundswell.store.tables_alerts import alert_outbox, alerts
from tests.alerts.setup import ORIGINAL, build, post

NOW = datetime(2028, 1, 1, tzinfo=UTC)  # the fixture posts are collected now (2026)


def count(desk: Desk, table: object) -> int:
    with desk.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar() or 0)  # type: ignore[arg-type]


def test_old_posts_alerts_and_audit_go_recent_ones_stay(desk: Desk, http_receiver) -> None:  # type: ignore[no-untyped-def]
    setup = build(desk, http_receiver.endpoint("/hook", "ok"), params={"terms": ["暴力"]})
    desk.pipeline.ingest(setup.source_id, [post("old", ORIGINAL, 0), post("x", "暴力拆除违建", 5)])
    setup.engine.run_once()
    desk.pipeline.ingest(
        setup.source_id, [post("new", "今天地铁运行正常，拆迁补偿方案公示", 10)], collected_at=NOW
    )
    with desk.engine.begin() as conn:
        audit_store.record(
            conn, user_id=None, actor="t", action="old", target="x", at=NOW - timedelta(days=2000)
        )
        audit_store.record(conn, user_id=None, actor="t", action="new", target="x", at=NOW)
        conn.execute(update(events).values(last_seen=NOW - timedelta(days=400)))
    before = {
        t.name: count(desk, t) for t in (posts, post_matches, alerts, alert_outbox, audit_log)
    }
    assert before["posts"] == 3 and before["alerts"] == 1 and before["alert_outbox"] == 1

    policy = Policy(posts_days=365, alerts_days=180, audit_days=1095, operations_days=90)
    dry = sweep(desk.engine, policy, NOW, dry_run=True)
    assert dry["posts"] == 2 and dry["alerts"] == 1 and dry["audit_log"] == 1
    assert count(desk, posts) == 3  # a dry run deletes nothing

    done = sweep(desk.engine, policy, NOW)
    assert done.pop("post_counts") >= 1  # the deleted posts' hourly counts, zero by then
    dry.pop("post_counts")
    assert done == dry
    with desk.engine.connect() as conn:
        kept = conn.execute(select(posts.c.external_id)).scalars().all()
        actions = conn.execute(select(audit_log.c.action)).scalars().all()
    assert kept == ["new"]
    assert "new" in actions and "old" not in actions
    assert count(desk, alerts) == 0 and count(desk, alert_outbox) == 0  # cascades
    assert count(desk, post_matches) == 1  # the kept post's match stays
    assert sweep(desk.engine, policy, NOW) == dict.fromkeys([*done, "post_counts"], 0)


def test_zero_days_keeps_everything(desk: Desk) -> None:
    setup = build(desk, None)
    desk.pipeline.ingest(setup.source_id, [post("old", ORIGINAL, 0)])
    assert sweep(desk.engine, Policy(0, 0, 0, 0), NOW) == {}
    assert count(desk, posts) == 1
