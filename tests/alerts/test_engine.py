"""The engine end to end: stored posts → alert with evidence → outbox → a real receiver."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from datetime import timedelta

from sqlalchemy import func, select

from groundswell.context import Desk
from groundswell.store.alert_rules import add_rule
from groundswell.store.alerts import acknowledge, get_alert, list_alerts, resolve
from groundswell.store.duty import add_special_period
from groundswell.store.tables_accounts import users
from groundswell.store.tables_alerts import alert_outbox, alerts, notifications
from tests.alerts.setup import ORIGINAL, T0, build, post, reposts
from tests.support.http_server import Reply, Request
from tests.support.receivers import HttpReceiver


def verified(request: Request) -> Reply:
    headers = {k.lower(): v for k, v in request.headers.items()}
    stamp = headers.get("x-groundswell-timestamp", "")
    signed = f"{stamp}.".encode() + request.body
    good = "sha256=" + hmac.new(b"hook-secret", signed, hashlib.sha256).hexdigest()
    if headers.get("x-groundswell-signature") != good:
        return Reply(401, "bad signature")
    return Reply(200, "ok")


def deliver(setup) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return asyncio.run(setup.sender.deliver_due())


def outbox_rows(desk: Desk) -> list[dict]:
    with desk.engine.connect() as conn:
        return [
            dict(r._mapping) for r in conn.execute(select(alert_outbox).order_by(alert_outbox.c.id))
        ]


def test_a_critical_term_raises_one_alert_with_evidence_that_reaches_the_receiver(
    desk: Desk, http_receiver: HttpReceiver
) -> None:
    url = http_receiver.endpoint("/hook", verified)
    setup = build(desk, url, params={"terms": ["暴力"]}, level=3)
    desk.pipeline.ingest(setup.source_id, [post("o", ORIGINAL, 0), post("x", "今天天气很好", 1)])

    report = setup.engine.run_once()
    assert (report.new, report.raised) == (1, 0)
    with desk.engine.connect() as conn:
        [alert] = list_alerts(conn)
        on_duty = (
            conn.execute(
                select(users.c.name).join(notifications, notifications.c.user_id == users.c.id)
            )
            .scalars()
            .all()
        )
    assert alert["level"] == 3 and alert["status"] == "open"
    assert "暴力" in alert["reason"] and "level III" in alert["reason"]
    assert "含重点词：暴力" in alert["evidence"]["reason_zh"]
    assert "III级（黄色）" in alert["evidence"]["reason_zh"]
    assert len(alert["evidence"]["post_ids"]) == 1
    assert on_duty == ["duty1"]  # in-app, to the first person on duty

    assert deliver(setup) == {"sent": 1}, outbox_rows(desk)[0]["last_error"]
    [body] = [b["alert"] for b in http_receiver.json_bodies("/hook")]
    assert body["alert_id"] == alert["id"] and body["level"] == 3
    assert "强拆" in body["posts"][0]["text"]
    assert "/alerts/" in body["ack_url"] and "sig=" in body["ack_url"]
    assert body["reason_zh"] == alert["evidence"]["reason_zh"]

    from groundswell.alerts.notifiers.render import render_text
    from groundswell.alerts.payload import message_from_json

    [row] = outbox_rows(desk)
    message = message_from_json(row["payload"])
    assert "含重点词" in render_text(message, "zh") and "critical term" in render_text(
        message, "en"
    )
    assert deliver(setup) == {}  # sent once, not again


def test_growth_updates_the_alert_and_a_higher_level_is_announced_again(
    desk: Desk, http_receiver: HttpReceiver
) -> None:
    url = http_receiver.endpoint("/hook", "ok")
    setup = build(desk, url, params={"terms": ["暴力"]}, level=4)
    desk.pipeline.ingest(setup.source_id, [post("o", ORIGINAL, 0)])
    setup.engine.run_once()
    desk.pipeline.ingest(setup.source_id, reposts(3))
    assert setup.engine.run_once().new == 0
    with desk.engine.connect() as conn:
        [alert] = list_alerts(conn)
    assert len(alert["evidence"]["post_ids"]) == 4 and alert["level"] == 4
    assert len(outbox_rows(desk)) == 1  # growth at the same level is not repeated

    with desk.engine.begin() as conn:
        add_rule(conn, "official", "authority", {"max_tier": 1}, level=2, channels=["desk-hook"])
    desk.pipeline.ingest(setup.official_id, [post("pd", ORIGINAL + "（人民日报）", 20)])
    report = setup.engine.run_once()
    assert (report.new, report.raised) == (0, 1)
    with desk.engine.connect() as conn:
        [alert] = list_alerts(conn)
    assert alert["level"] == 2 and "people-daily" in alert["reason"]
    kinds = [row["update_kind"] for row in outbox_rows(desk)]
    assert kinds == ["new", "raised"]


def test_unacknowledged_alerts_escalate_along_the_chain_and_stop_when_acknowledged(
    desk: Desk,
) -> None:
    setup = build(desk, None, params={"terms": ["暴力"]})
    desk.pipeline.ingest(setup.source_id, [post("o", ORIGINAL, 0)])
    setup.engine.run_once()

    def told() -> list[str]:
        with desk.engine.connect() as conn:
            rows = conn.execute(
                select(users.c.name, notifications.c.update_kind)
                .join(users, users.c.id == notifications.c.user_id)
                .order_by(notifications.c.id)
            )
            return [f"{name}:{kind}" for name, kind in rows]

    assert told() == ["duty1:new"]
    setup.clock.advance(minutes=14)
    assert setup.engine.run_once().escalated == 0
    setup.clock.advance(minutes=2)
    assert setup.engine.run_once().escalated == 1
    assert told() == ["duty1:new", "duty2:escalated"]
    setup.clock.advance(minutes=16)
    setup.engine.run_once()
    assert told()[-1] == "head:escalated"
    with desk.engine.begin() as conn:
        [alert] = list_alerts(conn)
        assert acknowledge(conn, alert["id"], "head", setup.clock.now())
        assert not acknowledge(conn, alert["id"], "head", setup.clock.now())  # once
    setup.clock.advance(hours=2)
    assert setup.engine.run_once().escalated == 0
    assert told() == ["duty1:new", "duty2:escalated", "head:escalated"]


def test_the_chain_ends_with_the_office_lead(desk: Desk) -> None:
    setup = build(desk, None, params={"terms": ["暴力"]})
    desk.pipeline.ingest(setup.source_id, [post("o", ORIGINAL, 0)])
    setup.engine.run_once()
    for _ in range(5):
        setup.clock.advance(minutes=16)
        setup.engine.run_once()
    with desk.engine.connect() as conn:
        names = (
            conn.execute(
                select(users.c.name)
                .join(notifications, notifications.c.user_id == users.c.id)
                .order_by(notifications.c.id)
            )
            .scalars()
            .all()
        )
        [alert] = list_alerts(conn)
    assert names == ["duty1", "duty2", "head", "lead"]
    assert alert["next_escalation_at"] is None and alert["escalation_step"] == 3


def test_a_failing_receiver_gets_the_alert_once_after_it_recovers(
    desk: Desk, http_receiver: HttpReceiver
) -> None:
    url = http_receiver.endpoint("/hook", "ok", fail_first=2, failure=503)
    setup = build(desk, url, params={"terms": ["暴力"]})
    desk.pipeline.ingest(setup.source_id, [post("o", ORIGINAL, 0)])
    setup.engine.run_once()
    assert deliver(setup) == {"pending": 1}
    assert deliver(setup) == {}  # not due yet: backoff
    setup.clock.advance(seconds=3)
    assert deliver(setup) == {"pending": 1}
    setup.clock.advance(seconds=6)
    assert deliver(setup) == {"sent": 1}
    setup.clock.advance(minutes=30)
    assert deliver(setup) == {}
    [row] = outbox_rows(desk)
    assert row["status"] == "sent" and row["attempts"] == 3
    statuses = (
        [r.status for r in http_receiver.requests_to("/hook")]
        if hasattr(http_receiver.requests_to("/hook")[0], "status")
        else None
    )
    assert len(http_receiver.requests_to("/hook")) == 3, statuses
    with desk.engine.connect() as conn:
        from groundswell.store.alerts import alert_deliveries

        [delivery] = alert_deliveries(conn, row["alert_id"])
    assert [a["ok"] for a in delivery["attempt_log"]] == [False, False, True]
    assert "503" in delivery["attempt_log"][0]["error"]


def test_a_dead_channel_does_not_block_the_others(desk: Desk, http_receiver: HttpReceiver) -> None:
    from groundswell.store.alert_rules import add_channel
    from tests.support.receivers import unused_port

    url = http_receiver.endpoint("/hook", "ok")
    setup = build(desk, url, params={"terms": ["暴力"]})
    desk.settings.alert_max_attempts = 2
    with desk.engine.begin() as conn:
        add_channel(conn, "gone", "webhook", {"url": f"http://127.0.0.1:{unused_port()}/x"})
        add_channel(
            conn,
            "refuses",
            "slack",
            {"webhook_url": http_receiver.endpoint("/bad", Reply(400, "invalid_payload"))},
        )
        add_rule(
            conn,
            "also",
            "critical_term",
            {"terms": ["强拆"]},
            channels=["gone", "refuses", "desk-hook"],
        )
    desk.pipeline.ingest(setup.source_id, [post("o", ORIGINAL, 0)])
    setup.engine.run_once()
    assert deliver(setup) == {"sent": 1, "pending": 1, "dead": 1}
    assert len(http_receiver.requests_to("/hook")) == 1
    setup.clock.advance(seconds=5)
    assert deliver(setup) == {"dead": 1}
    statuses = sorted(r["status"] for r in outbox_rows(desk))
    assert statuses == ["dead", "dead", "sent"]


def test_quiet_hours_hold_minor_alerts_but_not_severe_ones_or_special_periods(
    desk: Desk, http_receiver: HttpReceiver
) -> None:
    from groundswell.store.alert_rules import add_channel

    setup = build(desk, None)
    quiet = {"start": "00:00", "end": "23:59", "timezone": "UTC", "except_level": 2}
    with desk.engine.begin() as conn:
        add_channel(
            conn, "night", "webhook", {"url": http_receiver.endpoint("/n", "ok")}, quiet_hours=quiet
        )
        add_rule(
            conn,
            "minor",
            "critical_term",
            {"terms": ["暴力"]},
            level=4,
            channels=["night"],
            scheme="拆迁",
        )
        add_rule(
            conn,
            "severe",
            "critical_term",
            {"terms": ["死亡"]},
            level=1,
            channels=["night"],
            scheme="拆迁",
        )
    desk.pipeline.ingest(
        setup.source_id, [post("o", ORIGINAL, 0), post("d", "工地事故致一人死亡，家属强拆现场", 3)]
    )
    setup.engine.run_once()
    assert deliver(setup) == {"sent": 1}  # the level I one
    [held] = [r for r in outbox_rows(desk) if r["status"] == "pending"]
    assert held["level"] == 4 and held["next_attempt_at"] > setup.clock.now()

    with desk.engine.begin() as conn:
        add_special_period(conn, "两会", T0, T0 + timedelta(days=1))
    desk.pipeline.ingest(
        setup.source_id, [post("p", "高新区深夜发生暴力拆迁，挖掘机推倒围墙，业主报警", 9)]
    )
    setup.engine.run_once()
    assert deliver(setup).get("sent") == 1  # around the clock during the special period


def test_a_special_period_lowers_the_floors(desk: Desk) -> None:
    setup = build(desk, None, kind="repost_velocity", params={"min_reposts": 8, "minutes": 60})
    desk.pipeline.ingest(setup.source_id, [post("o", ORIGINAL, 0), *reposts(5)])
    assert setup.engine.run_once().new == 0
    with desk.engine.begin() as conn:
        add_special_period(conn, "国庆", T0 - timedelta(hours=1), T0 + timedelta(days=1))
    desk.pipeline.ingest(setup.source_id, reposts(1, start=10, prefix="s"))
    report = setup.engine.run_once()
    assert report.new == 1
    with desk.engine.connect() as conn:
        [alert] = list_alerts(conn)
    assert "6 reposts" in alert["reason"] and "国庆" in alert["reason"]


def test_a_volume_spike_is_one_alert_a_day_per_scheme(desk: Desk) -> None:
    setup = build(desk, None, kind="volume_spike", params={"window": "hour"}, level=3)
    base = [
        post(f"b{i}", f"拆迁补偿政策解读第{i}期，欢迎咨询", -12 * 60 + i * 60) for i in range(12)
    ]
    desk.pipeline.ingest(setup.source_id, base)
    assert setup.engine.run_once().new == 0
    burst = [post(f"s{i}", f"强拆现场第{i}段视频：居民与拆迁队冲突 {i}", 10 + i) for i in range(25)]
    desk.pipeline.ingest(setup.source_id, burst)
    # History is read at most every 10 s per rule; a throttled check comes back by itself.
    setup.clock.advance(seconds=5)
    first = setup.engine.run_once().new
    setup.clock.advance(seconds=11)
    assert first + setup.engine.run_once().new == 1
    setup.clock.advance(seconds=11)
    assert setup.engine.run_once().new == 0
    with desk.engine.connect() as conn:
        [alert] = list_alerts(conn)
    counts = alert["evidence"]["findings"][0]["counts"]
    assert counts["observed"] >= 20 and counts["expected"] < 5
    assert alert["kind"] == "volume_spike"


def test_resolving_frees_the_subject_for_a_new_alert(desk: Desk) -> None:
    setup = build(desk, None, params={"terms": ["暴力"]})
    desk.pipeline.ingest(setup.source_id, [post("o", ORIGINAL, 0)])
    setup.engine.run_once()
    with desk.engine.begin() as conn:
        [alert] = list_alerts(conn)
        resolve(conn, alert["id"], "head")
        assert get_alert(conn, alert["id"])["status"] == "resolved"
    desk.pipeline.ingest(setup.source_id, reposts(1))
    assert setup.engine.run_once().new == 1
    with desk.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(alerts)).scalar() == 2


def test_posts_outside_every_scheme_or_rule_raise_nothing(desk: Desk) -> None:
    setup = build(desk, None, params={"terms": ["暴力"]})
    desk.pipeline.ingest(setup.source_id, [post("x", "暴力美学电影节开幕", 0)])
    assert setup.engine.run_once().new == 0
    setup.engine.run_once()  # nothing new: idempotent
    with desk.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(alerts)).scalar() == 0
    assert json.dumps({})  # keep json import used


def test_the_person_on_duty_gets_an_email_with_the_evidence_and_their_link(
    desk: Desk,
    smtp_server,  # type: ignore[no-untyped-def]
) -> None:
    from groundswell.accounts.users import find_user, update_user
    from groundswell.store.alert_rules import add_channel

    setup = build(desk, None)
    mail = {
        "host": smtp_server.host,
        "port": smtp_server.port,
        "from_addr": "desk@city.example",
        "to": ["office@city.example"],
    }
    with desk.engine.begin() as conn:
        add_channel(conn, "mail", "email", mail)
        for name in ("duty1", "duty2"):
            user = find_user(conn, name)
            update_user(conn, user.id, contacts={"mail": f"{name}@city.example"})
        add_rule(conn, "critical", "critical_term", {"terms": ["暴力"]}, level=2, scheme="拆迁")
    desk.pipeline.ingest(setup.source_id, [post("o", ORIGINAL, 0)])
    setup.engine.run_once()
    assert deliver(setup) == {"sent": 1}
    [received] = smtp_server.messages
    assert received.rcpt_tos == ["duty1@city.example"]  # the person, not the channel's list
    body = received.message.get_body(preferencelist=("plain",)).get_content()
    assert "八里庙" in body and "暴力" in body and "u=" in body and "sig=" in body

    setup.clock.advance(minutes=16)  # nobody acknowledged: the next person, by email
    setup.engine.run_once()
    assert deliver(setup) == {"sent": 1}
    assert smtp_server.messages[-1].rcpt_tos == ["duty2@city.example"]


def test_engines_in_parallel_raise_each_alert_once(desk: Desk, http_receiver: HttpReceiver) -> None:
    import threading

    from groundswell.alerts.engine import AlertEngine

    if desk.engine.dialect.name != "postgresql":
        return  # SQLite lets one writer in at a time; the lock matters on PostgreSQL
    setup = build(desk, http_receiver.endpoint("/hook", "ok"), params={"terms": ["暴力"]})
    desk.pipeline.ingest(setup.source_id, [post("o", ORIGINAL, 0), *reposts(3)])
    engines = [AlertEngine(desk.engine, desk.settings, setup.clock) for _ in range(4)]
    errors: list[Exception] = []

    def run(engine: AlertEngine) -> None:
        try:
            engine.run_once()
        except Exception as exc:  # a duplicate alert would fail its transaction here
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(e,)) for e in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with desk.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(alerts)).scalar() == 1
    assert len(outbox_rows(desk)) == 1


def test_a_department_default_rule_covers_that_departments_schemes_only(desk: Desk) -> None:
    from groundswell.store.schemes import add_scheme

    setup = build(desk, None)
    with desk.engine.begin() as conn:
        add_scheme(conn, "教育", subject_words=["学校"], department="教育局")
        add_rule(
            conn, "dept default", "critical_term", {"terms": ["暴力"]}, department="城市管理局"
        )
    desk.pipeline.ingest(
        setup.source_id, [post("o", ORIGINAL, 0), post("s", "某学校发生暴力事件，家长聚集", 2)]
    )
    setup.engine.run_once()
    with desk.engine.connect() as conn:
        [alert] = list_alerts(conn)
    assert alert["department"] == "城市管理局" and "八里庙" in alert["title"]
