"""The alerting commands end to end on real headlines: rules, channels, backtest, run, ack,
the duty roster and special periods."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from groundswell.cli import app
from groundswell.errors import ConfigError
from tests.support.receivers import HttpReceiver
from tests.test_cli_analysis import HEADLINES, last_json, subset

runner = CliRunner()


def cli(db: str, *args: str) -> str:
    result = runner.invoke(app, ["--db", db, *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def loaded(sqlite_url: str, tmp_path: Path) -> str:
    cli(sqlite_url, "schemes", "add", "trade", "--subject", "tariff*", "--subject", "trade war")
    small = subset(HEADLINES, tmp_path / "headlines.csv", 1500)
    cli(
        sqlite_url, "import", str(small), "--text-column", "headline", "--time-column", "first_seen"
    )
    return sqlite_url


def test_backtest_prints_a_table_per_day_and_the_json_last(loaded: str) -> None:
    cli(
        loaded,
        "alerts",
        "rules",
        "add",
        "tariff news",
        "--scheme",
        "trade",
        "--kind",
        "critical_term",
        "--params",
        '{"terms": ["tariff"]}',
        "--level",
        "4",
    )
    cli(loaded, "alerts", "rules", "disable", "tariff news")  # a disabled rule can be tried
    out = cli(
        loaded,
        "alerts",
        "backtest",
        "--rule",
        "tariff news",
        "--days",
        "10",
        "--at",
        "2026-08-05T00:00+00:00",
    )
    result = last_json(out)
    assert "2026-07-27" in out and "tariff news" in out
    total = result["totals"]["tariff news"]
    assert total > 0 and sum(sum(d.values()) for d in result["per_day"].values()) == total
    assert result["examples"]["tariff news"][0]["title"]
    assert total <= result["posts"]  # folded by subject: never more alerts than posts

    unsaved = last_json(
        cli(
            loaded,
            "alerts",
            "backtest",
            "--kind",
            "new_event",
            "--params",
            '{"min_size": 3}',
            "--scheme",
            "trade",
            "--days",
            "10",
            "--at",
            "2026-08-05T00:00+00:00",
        )
    )
    assert set(unsaved["totals"]) == {"(unsaved new_event)"}
    with pytest.raises(ConfigError, match="no rule named"):
        runner.invoke(
            app, ["--db", loaded, "alerts", "backtest", "--rule", "nope"], catch_exceptions=False
        )


def test_run_delivers_and_ack_stops_escalation(loaded: str, http_receiver: HttpReceiver) -> None:
    url = http_receiver.endpoint("/hook", "ok")
    cli(
        loaded,
        "alerts",
        "channels",
        "add",
        "group",
        "--kind",
        "webhook",
        "--config",
        json.dumps({"url": url, "secret": "s3cret-value"}),
    )
    listed = cli(loaded, "alerts", "channels", "list")
    assert "group" in listed and "s3cret-value" not in listed
    assert "delivered" in cli(loaded, "alerts", "channels", "test", "group")
    cli(
        loaded,
        "alerts",
        "rules",
        "add",
        "tariffs",
        "--scheme",
        "trade",
        "--kind",
        "critical_term",
        "--params",
        '{"terms": ["tariff"]}',
        "--channel",
        "group",
    )
    assert "tariffs" in cli(loaded, "alerts", "rules", "list")
    out = cli(loaded, "alerts", "run")
    assert "new alerts" in out and "'sent'" in out
    bodies = http_receiver.json_bodies("/hook")
    assert len(bodies) >= 2 and bodies[-1]["alert"]["rule"] == "tariffs"
    listing = cli(loaded, "alerts", "list")
    alert_id = bodies[-1]["alert"]["alert_id"]
    assert str(alert_id) in listing
    assert "sent" in cli(loaded, "alerts", "show", str(alert_id))
    assert "acknowledged" in cli(loaded, "alerts", "ack", str(alert_id), "--by", "wang")
    assert "already" in cli(loaded, "alerts", "ack", str(alert_id))
    again = cli(loaded, "alerts", "run")
    assert "0 new alerts" in again  # nothing new was stored
    cli(loaded, "alerts", "resolve", str(alert_id))
    cli(loaded, "alerts", "rules", "remove", "tariffs")
    cli(loaded, "alerts", "channels", "remove", "group")


def test_bad_input_gets_clear_errors(sqlite_url: str) -> None:
    cli(sqlite_url, "schemes", "add", "trade", "--subject", "tariff*")
    cases = [
        (
            ["alerts", "rules", "add", "r", "--kind", "critical_term", "--params", "{oops"],
            "not valid JSON",
        ),
        (["alerts", "rules", "add", "r", "--kind", "critical_term", "--params", "{}"], "terms"),
        (["alerts", "rules", "add", "r", "--kind", "nope"], "unknown rule kind"),
        (
            ["alerts", "rules", "add", "r", "--kind", "authority", "--channel", "ghost"],
            "no channel named",
        ),
        (["alerts", "channels", "add", "c", "--kind", "webhook", "--config", '{"url": 1}'], "url"),
        (
            [
                "duty",
                "add",
                "nobody",
                "--start",
                "2026-01-01T08:00+08:00",
                "--end",
                "2026-01-01T20:00+08:00",
            ],
            "no user named",
        ),
        (
            [
                "special-period",
                "add",
                "p",
                "--start",
                "2026-01-02T00:00",
                "--end",
                "2026-01-03T00:00",
            ],
            "timezone",
        ),
    ]
    for args, message in cases:
        with pytest.raises(ConfigError, match=message):
            runner.invoke(app, ["--db", sqlite_url, *args], catch_exceptions=False)


def test_duty_and_special_periods(sqlite_url: str) -> None:
    cli(sqlite_url, "department", "add", "城市管理局")
    cli(sqlite_url, "user", "add", "wang", "--role", "duty_officer", "--department", "城市管理局")
    cli(
        sqlite_url,
        "duty",
        "add",
        "wang",
        "--department",
        "城市管理局",
        "--start",
        "2020-01-01T08:00+08:00",
        "--end",
        "2099-01-01T08:00+08:00",
    )
    assert "wang" in cli(sqlite_url, "duty", "list")
    assert "0. wang (wang): on duty" in cli(sqlite_url, "duty", "now", "--department", "城市管理局")
    cli(
        sqlite_url,
        "special-period",
        "add",
        "两会",
        "--start",
        "2027-03-03T00:00+08:00",
        "--end",
        "2027-03-15T00:00+08:00",
        "--threshold-factor",
        "0.3",
    )
    listed = cli(sqlite_url, "special-period", "list")
    assert "两会" in listed and "0.3" in listed
    cli(sqlite_url, "special-period", "remove", "1")
    cli(sqlite_url, "duty", "remove", "1")
    assert "nobody" in cli(sqlite_url, "duty", "now", "--department", "城市管理局")
    from groundswell.accounts.audit import list_audit
    from groundswell.context import Desk
    from groundswell.settings import load_settings

    desk = Desk.open(load_settings(database_url=sqlite_url))
    with desk.engine.connect() as conn:
        actions = {e.action for e in list_audit(conn, limit=100)[0] if e.actor == "cli"}
    desk.close()
    assert {"duty.create", "duty.remove", "special_period.create"} <= actions
