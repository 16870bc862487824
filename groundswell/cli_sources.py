"""Commands for sources: add (validated), tier, list with health, remove.

Registered on the main `groundswell` app by `groundswell.cli`; documented in docs/cli.md.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from groundswell.context import Desk
from groundswell.settings import Settings

console = Console()
sources_app = typer.Typer(help="Register, list and remove sources.", no_args_is_help=True)


def _desk(ctx: typer.Context) -> Desk:
    settings: Settings = ctx.obj["settings"]
    return Desk.open(settings)


def _parse_options(options: list[str]) -> dict[str, Any]:
    config: dict[str, Any] = {}
    for option in options:
        key, sep, value = option.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"expected KEY=VALUE, got {option!r}")
        try:
            config[key] = json.loads(value)
        except json.JSONDecodeError:
            config[key] = value
    return config


@sources_app.command("add")
def sources_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="A unique name for the source.")],
    kind: Annotated[str, typer.Option("--kind", help="rss, web, push or file.")] = "rss",
    url: Annotated[str | None, typer.Option("--url", help="Feed or list-page URL.")] = None,
    option: Annotated[
        list[str], typer.Option("--option", "-o", help="Extra config KEY=VALUE (repeatable).")
    ] = [],  # noqa: B006
    interval: Annotated[
        int | None, typer.Option("--interval", help="Seconds between collections.")
    ] = None,
    tier: Annotated[
        int, typer.Option("--tier", help="Authority: 1 national ... 4 ordinary (for heat).")
    ] = 4,
) -> None:
    """Register a source; its config is validated before it is stored."""
    from groundswell.sources.registry import build_source
    from groundswell.store.sources import add_source

    config = _parse_options(option)
    if url:
        config["url"] = url
    source = build_source(kind, config)
    desk = _desk(ctx)
    with desk.engine.begin() as conn:
        add_source(
            conn,
            name,
            kind,
            source.config.model_dump(),
            interval_seconds=interval,
            authority_tier=tier,
        )
    console.print(f"added {kind} source {name!r}")


@sources_app.command("tier")
def sources_tier(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The source's name.")],
    tier: Annotated[int, typer.Argument(help="1 national, 2 major, 3 local, 4 ordinary.")],
) -> None:
    """Set how much a source's word weighs in the heat of the events it carries."""
    from groundswell.store.sources import set_authority_tier

    desk = _desk(ctx)
    with desk.engine.begin() as conn:
        set_authority_tier(conn, name, tier)
    console.print(f"source {name!r} is now authority tier {tier}")


@sources_app.command("list")
def sources_list(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Show every source with its health: status, last success, failures, last error."""
    from groundswell.store.sources import list_sources
    from groundswell.web.app import source_json

    desk = _desk(ctx)
    with desk.engine.connect() as conn:
        records = list_sources(conn)
    if as_json:
        for record in records:
            print(json.dumps(source_json(record), ensure_ascii=False))
        return
    table = Table(
        "name", "kind", "tier", "status", "posts", "last success", "failures", "last error"
    )
    for r in records:
        style = {"failing": "red", "ok": "green"}.get(r.status, "yellow")
        table.add_row(
            r.name,
            r.kind,
            str(r.authority_tier),
            f"[{style}]{r.status}[/]",
            str(r.posts_total),
            r.last_success_at.strftime("%Y-%m-%d %H:%M:%S") if r.last_success_at else "never",
            str(r.consecutive_failures),
            (r.last_error or "")[:80],
        )
    console.print(table)


@sources_app.command("remove")
def sources_remove(
    ctx: typer.Context, name: Annotated[str, typer.Argument(help="Source name.")]
) -> None:
    """Remove a source and the posts collected from it."""
    from groundswell.store.sources import remove_source

    with _desk(ctx).engine.begin() as conn:
        remove_source(conn, name)
    console.print(f"removed source {name!r}")


def register(app: typer.Typer) -> None:
    app.add_typer(sources_app, name="sources")
