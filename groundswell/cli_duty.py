"""Commands for the duty roster and special periods (registered by `groundswell.cli`).

Documented in docs/cli.md and docs/alerts.md.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table

from groundswell.cli_alerts import _desk, _when, cli_audit, console

duty_app = typer.Typer(help="The duty roster: shifts and who is on call now.", no_args_is_help=True)
periods_app = typer.Typer(
    help="Special periods: 24-hour watch with stricter thresholds.", no_args_is_help=True
)


# --- duty and special periods -------------------------------------------------------


@duty_app.command("add")
def duty_add(
    ctx: typer.Context,
    user: str,
    start: Annotated[str, typer.Option(help="ISO time with zone, e.g. 2026-12-01T08:00+08:00")],
    end: Annotated[str, typer.Option(help="ISO time with zone.")],
    department: Annotated[str | None, typer.Option(help="Default: the office-wide desk.")] = None,
    position: Annotated[int, typer.Option(help="0 is called first, then 1, ...")] = 0,
) -> None:
    from groundswell.store.duty import add_shift

    with _desk(ctx).engine.begin() as conn:
        shift_id = add_shift(
            conn, user, _when(start), _when(end), department=department, position=position
        )
        cli_audit(conn, "duty.create", f"shift:{shift_id}", {"user": user})
    console.print(f"shift {shift_id} added")


@duty_app.command("list")
def duty_list(ctx: typer.Context) -> None:
    from groundswell.store.duty import list_shifts

    with _desk(ctx).engine.connect() as conn:
        shifts = list_shifts(conn, start=datetime.now(UTC))
    table = Table("id", "user", "department", "position", "starts", "ends")
    for s in shifts:
        table.add_row(
            str(s["id"]),
            s["user"],
            s["department"] or "(office desk)",
            str(s["position"]),
            s["starts_at"].isoformat(timespec="minutes"),
            s["ends_at"].isoformat(timespec="minutes"),
        )
    console.print(table)


@duty_app.command("remove")
def duty_remove(ctx: typer.Context, shift_id: int) -> None:
    from groundswell.store.duty import remove_shift

    with _desk(ctx).engine.begin() as conn:
        remove_shift(conn, shift_id)
        cli_audit(conn, "duty.remove", f"shift:{shift_id}")
    console.print(f"shift {shift_id} removed")


@duty_app.command("now")
def duty_now(ctx: typer.Context, department: Annotated[str | None, typer.Option()] = None) -> None:
    """The escalation chain right now, in the order people are called."""
    from groundswell.store.duty import duty_chain

    desk = _desk(ctx)
    with desk.engine.connect() as conn:
        chain = duty_chain(conn, department, datetime.now(UTC), desk.settings.alert_office_lead)
    if not chain:
        console.print("nobody: alerts go only to their rules' channels")
    for step, person in enumerate(chain):
        console.print(f"{step}. {person.display_name} ({person.name}): {person.why}")


@periods_app.command("add")
def periods_add(
    ctx: typer.Context,
    name: str,
    start: Annotated[str, typer.Option(help="ISO time with zone.")],
    end: Annotated[str, typer.Option(help="ISO time with zone.")],
    department: Annotated[list[str] | None, typer.Option(help="Repeat; default: all.")] = None,
    threshold_factor: Annotated[float, typer.Option(help="Size/count floors × this.")] = 0.5,
    alpha_factor: Annotated[float, typer.Option(help="Spike tests' alpha × this.")] = 10.0,
) -> None:
    from groundswell.store.duty import add_special_period

    with _desk(ctx).engine.begin() as conn:
        period_id = add_special_period(
            conn,
            name,
            _when(start),
            _when(end),
            departments_=department or [],
            threshold_factor=threshold_factor,
            alpha_factor=alpha_factor,
            created_by="cli",
        )
        cli_audit(conn, "special_period.create", f"special_period:{period_id}", {"name": name})
    console.print(f"special period {period_id} added")


@periods_app.command("list")
def periods_list(ctx: typer.Context) -> None:
    from groundswell.store.duty import list_special_periods

    with _desk(ctx).engine.connect() as conn:
        periods = list_special_periods(conn)
    table = Table("id", "name", "starts", "ends", "departments", "floors ×", "alpha ×")
    for p in periods:
        table.add_row(
            str(p["id"]),
            p["name"],
            p["starts_at"].isoformat(timespec="minutes"),
            p["ends_at"].isoformat(timespec="minutes"),
            ", ".join(p["departments"]) or "all",
            f"{p['threshold_factor']:g}",
            f"{p['alpha_factor']:g}",
        )
    console.print(table)


@periods_app.command("remove")
def periods_remove(ctx: typer.Context, period_id: int) -> None:
    from groundswell.store.duty import remove_special_period

    with _desk(ctx).engine.begin() as conn:
        remove_special_period(conn, period_id)
        cli_audit(conn, "special_period.remove", f"special_period:{period_id}")
    console.print(f"special period {period_id} removed")


def register(app: typer.Typer) -> None:
    app.add_typer(duty_app, name="duty")
    app.add_typer(periods_app, name="special-period")
