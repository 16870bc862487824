"""Commands for alerting: rules, channels, alerts, the duty roster, special periods, backtest.

Registered on the main `groundswell` app by `groundswell.cli`; documented in docs/cli.md.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from groundswell.context import Desk
from groundswell.errors import ConfigError
from groundswell.settings import Settings

console = Console()

alerts_app = typer.Typer(help="Alerts: list, acknowledge, run, backtest.", no_args_is_help=True)
rules_app = typer.Typer(help="Alert rules per scheme or department.", no_args_is_help=True)
channels_app = typer.Typer(
    help="Delivery channels (email, webhook, WeCom...).", no_args_is_help=True
)

JsonOption = Annotated[str, typer.Option(help="A JSON object.")]


def _desk(ctx: typer.Context) -> Desk:
    settings: Settings = ctx.obj["settings"]
    return Desk.open(settings)


def _json_object(text: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{what} is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise ConfigError(f"{what} must be a JSON object")
    return value


def cli_audit(conn: Any, action: str, target: str, detail: dict[str, Any] | None = None) -> None:
    """Changes made from the command line are audited too, with the actor `cli`."""
    from groundswell.accounts import audit as audit_store

    audit_store.record(conn, user_id=None, actor="cli", action=action, target=target, detail=detail)


def _when(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"not a date and time: {text!r} (e.g. 2026-12-01T08:00+08:00)") from None
    if value.tzinfo is None:
        raise ConfigError(f"give a timezone with {text!r}, e.g. +08:00")
    return value


# --- rules --------------------------------------------------------------------------


@rules_app.command("add")
def rules_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="A unique name.")],
    kind: Annotated[
        str,
        typer.Option(
            help="new_event, volume_spike, negative_rise, "
            "critical_term, authority, repost_velocity."
        ),
    ],
    params: JsonOption = "{}",
    level: Annotated[int, typer.Option(min=1, max=4, help="1 (I, red) .. 4 (IV, blue).")] = 3,
    channel: Annotated[list[str] | None, typer.Option(help="Repeat per channel.")] = None,
    scheme: Annotated[str | None, typer.Option(help="The scheme it watches.")] = None,
    department: Annotated[
        str | None, typer.Option(help="Without --scheme: a default for this department.")
    ] = None,
) -> None:
    """Add a rule; without --scheme and --department it applies to every scheme."""
    from groundswell.store.alert_rules import add_rule

    desk = _desk(ctx)
    with desk.engine.begin() as conn:
        rule = add_rule(
            conn,
            name,
            kind,
            _json_object(params, "--params"),
            level=level,
            channels=channel or [],
            scheme=scheme,
            department=department,
        )
        cli_audit(conn, "alert_rule.create", f"alert_rule:{rule.id}", {"kind": kind})
    console.print(f"rule {rule.name!r} added ({rule.kind}, level {rule.level}, {rule.params})")


@rules_app.command("list")
def rules_list(ctx: typer.Context) -> None:
    from groundswell.store.alert_rules import list_rules
    from groundswell.store.tables import schemes

    desk = _desk(ctx)
    with desk.engine.connect() as conn:
        names = dict(
            conn.execute(schemes.select().with_only_columns(schemes.c.id, schemes.c.name)).all()
        )
        rules = list_rules(conn)
    table = Table("name", "kind", "level", "applies to", "params", "channels", "enabled")
    for r in rules:
        scope = names.get(r.scheme_id, "?") if r.scheme_id else (r.department or "every scheme")
        table.add_row(
            r.name,
            r.kind,
            str(r.level),
            scope,
            json.dumps(r.params, ensure_ascii=False),
            ", ".join(r.channels),
            "yes" if r.enabled else "no",
        )
    console.print(table)


@rules_app.command("remove")
def rules_remove(ctx: typer.Context, name: str) -> None:
    from groundswell.store.alert_rules import remove_rule

    with _desk(ctx).engine.begin() as conn:
        remove_rule(conn, name)
        cli_audit(conn, "alert_rule.remove", f"alert_rule:{name}")
    console.print(f"rule {name!r} removed")


@rules_app.command("enable")
def rules_enable(ctx: typer.Context, name: str) -> None:
    from groundswell.store.alert_rules import set_rule_enabled

    with _desk(ctx).engine.begin() as conn:
        set_rule_enabled(conn, name, True)
        cli_audit(conn, "alert_rule.enable", f"alert_rule:{name}")
    console.print(f"rule {name!r} enabled")


@rules_app.command("disable")
def rules_disable(ctx: typer.Context, name: str) -> None:
    from groundswell.store.alert_rules import set_rule_enabled

    with _desk(ctx).engine.begin() as conn:
        set_rule_enabled(conn, name, False)
        cli_audit(conn, "alert_rule.disable", f"alert_rule:{name}")
    console.print(f"rule {name!r} disabled")


# --- channels -----------------------------------------------------------------------


@channels_app.command("add")
def channels_add(
    ctx: typer.Context,
    name: str,
    kind: Annotated[str, typer.Option(help="email, webhook, wecom, dingtalk, feishu, slack, sms.")],
    config: JsonOption = "{}",
    quiet_hours: Annotated[
        str, typer.Option(help='e.g. {"start": "22:00", "end": "07:00", "except_level": 2}')
    ] = "",
) -> None:
    """Add a channel; its config is checked now by building its notifier."""
    from groundswell.store.alert_rules import add_channel

    quiet = _json_object(quiet_hours, "--quiet-hours") if quiet_hours else None
    with _desk(ctx).engine.begin() as conn:
        channel = add_channel(conn, name, kind, _json_object(config, "--config"), quiet_hours=quiet)
        cli_audit(conn, "alert_channel.create", f"alert_channel:{channel.id}", {"kind": kind})
    console.print(f"channel {channel.name!r} added ({channel.kind})")


@channels_app.command("list")
def channels_list(ctx: typer.Context) -> None:
    from groundswell.store.alert_rules import list_channels

    with _desk(ctx).engine.connect() as conn:
        channels = list_channels(conn)
    table = Table("name", "kind", "config (secrets masked)", "quiet hours")
    for c in channels:
        public = c.public()
        table.add_row(
            c.name,
            c.kind,
            json.dumps(public["config"], ensure_ascii=False),
            json.dumps(public["quiet_hours"]) if public["quiet_hours"] else "-",
        )
    console.print(table)


@channels_app.command("remove")
def channels_remove(ctx: typer.Context, name: str) -> None:
    from groundswell.store.alert_rules import remove_channel

    with _desk(ctx).engine.begin() as conn:
        remove_channel(conn, name)
        cli_audit(conn, "alert_channel.remove", f"alert_channel:{name}")
    console.print(f"channel {name!r} removed")


@channels_app.command("test")
def channels_test(ctx: typer.Context, name: str) -> None:
    """Send a test message through one channel now and say what it answered."""
    import httpx

    from groundswell.alerts.message import AlertMessage
    from groundswell.alerts.notifiers import DeliveryError, build_notifier
    from groundswell.store.alert_rules import list_channels

    with _desk(ctx).engine.connect() as conn:
        found = [c for c in list_channels(conn) if c.name == name]
    if not found:
        raise ConfigError(f"no channel named {name!r}")
    channel = found[0]
    message = AlertMessage(
        alert_id=0,
        level=4,
        title="Groundswell test message / 测试消息",
        reason="A test of this channel; no action needed. 通道测试，无需处理。",
        rule="test",
        kind="test",
        created_at=datetime.now(UTC),
    )

    async def send() -> str:
        async with httpx.AsyncClient() as client:
            receipt = await build_notifier(channel.kind, channel.config).send(message, client)
            return receipt.status

    try:
        console.print(f"delivered: {asyncio.run(send())}")
    except DeliveryError as exc:
        console.print(
            f"[red]not delivered[/] ({'will retry' if exc.retryable else 'permanent'}): {exc}"
        )
        raise typer.Exit(1) from None


# --- alerts -------------------------------------------------------------------------


@alerts_app.command("list")
def alerts_list(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option(help="open, acknowledged or resolved.")] = None,
    limit: int = 50,
) -> None:
    from groundswell.alerts.message import LEVEL_NAMES
    from groundswell.store.alerts import list_alerts

    with _desk(ctx).engine.connect() as conn:
        rows = list_alerts(conn, status=status, limit=limit)
    table = Table("id", "level", "status", "created", "rule", "title")
    for a in rows:
        table.add_row(
            str(a["id"]),
            LEVEL_NAMES[a["level"]],
            a["status"],
            a["created_at"].isoformat(timespec="minutes"),
            a["rule_name"],
            a["title"][:60],
        )
    console.print(table)


@alerts_app.command("show")
def alerts_show(ctx: typer.Context, alert_id: int) -> None:
    """One alert: its reason, evidence and every delivery attempt."""
    from groundswell.store.alerts import alert_deliveries, get_alert

    with _desk(ctx).engine.connect() as conn:
        alert = get_alert(conn, alert_id)
        deliveries = alert_deliveries(conn, alert_id)
    console.print(f"#{alert['id']} level {alert['level']} {alert['status']}: {alert['title']}")
    console.print(alert["reason"])
    for d in deliveries:
        to = f" to {d['address']}" if d["address"] else ""
        error = f", last error: {d['last_error']}" if d["last_error"] else ""
        console.print(
            f"  message {d['id']} ({d['update_kind']}) channel {d['channel_id']}{to}: "
            f"{d['status']}, {d['attempts']} attempt(s){error}"
        )


@alerts_app.command("ack")
def alerts_ack(
    ctx: typer.Context, alert_id: int, by: Annotated[str, typer.Option()] = "cli"
) -> None:
    from groundswell.accounts import audit as audit_store
    from groundswell.store.alerts import acknowledge

    with _desk(ctx).engine.begin() as conn:
        changed = acknowledge(conn, alert_id, by)
        if changed:
            audit_store.record(
                conn, user_id=None, actor=by, action="alert.ack", target=f"alert:{alert_id}"
            )
    console.print("acknowledged" if changed else "already acknowledged or resolved")


@alerts_app.command("resolve")
def alerts_resolve(
    ctx: typer.Context, alert_id: int, by: Annotated[str, typer.Option()] = "cli"
) -> None:
    from groundswell.accounts import audit as audit_store
    from groundswell.store.alerts import resolve

    with _desk(ctx).engine.begin() as conn:
        resolve(conn, alert_id, by)
        audit_store.record(
            conn, user_id=None, actor=by, action="alert.resolve", target=f"alert:{alert_id}"
        )
    console.print("resolved")


@alerts_app.command("run")
def alerts_run(ctx: typer.Context) -> None:
    """One pass: evaluate what was stored since the last pass, escalate, deliver what is due."""
    from groundswell.alerts.engine import AlertEngine
    from groundswell.alerts.sender import OutboxSender

    desk = _desk(ctx)
    report = AlertEngine(desk.engine, desk.settings).run_once()
    sent = asyncio.run(OutboxSender(desk.engine, desk.settings).deliver_due())
    console.print(
        f"{report.posts} new posts, {report.new} new alerts, {report.raised} raised, "
        f"{report.escalated} escalated; deliveries: {sent or 'none due'}"
    )


@alerts_app.command("backtest")
def alerts_backtest(
    ctx: typer.Context,
    rule: Annotated[
        list[str] | None, typer.Option(help="Rule names (repeat); default: all enabled.")
    ] = None,
    days: Annotated[float, typer.Option(help="How far back to replay.")] = 7.0,
    step: Annotated[float, typer.Option(help="Replay step in minutes.")] = 60.0,
    kind: Annotated[str | None, typer.Option(help="Try an unsaved rule of this kind.")] = None,
    params: JsonOption = "{}",
    level: int = 3,
    scheme: Annotated[str | None, typer.Option(help="The unsaved rule's scheme.")] = None,
    at: Annotated[str | None, typer.Option(help="Replay up to this time (default: now).")] = None,
) -> None:
    """How many alerts each rule would have raised per day, with examples; JSON last."""
    from groundswell.alerts.backtest import backtest_rules, format_table
    from groundswell.alerts.rules import Rule, validate_rule
    from groundswell.store.tables import schemes

    desk = _desk(ctx)
    extra: list[Rule] = []
    if kind:
        clean = validate_rule(kind, _json_object(params, "--params"), level)
        scheme_id = None
        if scheme:
            with desk.engine.connect() as conn:
                scheme_id = conn.execute(
                    schemes.select().with_only_columns(schemes.c.id).where(schemes.c.name == scheme)
                ).scalar()
            if scheme_id is None:
                raise ConfigError(f"no scheme named {scheme!r}")
        extra.append(
            Rule(
                id=0,
                name=f"(unsaved {kind})",
                kind=kind,
                params=clean,
                level=level,
                scheme_id=scheme_id,
            )
        )
    result = backtest_rules(
        desk, rule or [], days, step_minutes=step, extra=extra, end=_when(at) if at else None
    )
    table = Table("day", *result.rules)
    for row in format_table(result):
        table.add_row(*row)
    console.print(table)
    for name, examples in result.examples.items():
        for ex in examples:
            console.print(
                f"  {name} · {ex['at'][:16]} · {ex['level']} · {ex['title'][:50]}"
                f" — {ex['reason'][:120]}"
            )
    print(json.dumps(result.as_json(), ensure_ascii=False), flush=True)


def register(app: typer.Typer) -> None:
    alerts_app.add_typer(rules_app, name="rules")
    alerts_app.add_typer(channels_app, name="channels")
    app.add_typer(alerts_app, name="alerts")
