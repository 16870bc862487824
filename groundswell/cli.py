"""The `groundswell` command line (typer). Every command is documented in docs/cli.md."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from groundswell.context import Desk
from groundswell.errors import GroundswellError
from groundswell.settings import Settings, load_settings

app = typer.Typer(
    help="Groundswell: public-opinion monitoring and response desk.", no_args_is_help=True
)
console = Console()
err = Console(stderr=True)


def _settings(ctx: typer.Context) -> Settings:
    return ctx.obj["settings"]


def _desk(ctx: typer.Context) -> Desk:
    return Desk.open(_settings(ctx))


@app.callback()
def main_options(
    ctx: typer.Context,
    db: Annotated[
        str | None, typer.Option("--db", help="Database URL (sqlite:///x.db or postgresql://...).")
    ] = None,
    config: Annotated[str | None, typer.Option("--config", help="TOML settings file.")] = None,
    log_level: Annotated[
        str | None, typer.Option("--log-level", help="DEBUG, INFO, WARNING or ERROR.")
    ] = None,
) -> None:
    """Global options apply to every command; they override the TOML file and environment."""
    settings = load_settings(config, database_url=db, log_level=log_level)
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if settings.log_level.upper() != "DEBUG":
        for chatty in ("httpx", "httpcore", "alembic", "jieba"):
            logging.getLogger(chatty).setLevel(logging.WARNING)
    ctx.obj = {"settings": settings}


@app.command()
def init(ctx: typer.Context) -> None:
    """Create or upgrade the database schema."""
    desk = _desk(ctx)
    console.print(f"database ready: {desk.engine.url.render_as_string(hide_password=True)}")


@app.command()
def collect(
    ctx: typer.Context,
    source: Annotated[
        list[str] | None, typer.Option("--source", help="Only these sources.")
    ] = None,
) -> None:
    """Collect every enabled pull source once and show what each did."""
    from groundswell.collect.fetcher import PoliteFetcher
    from groundswell.collect.scheduler import collect_round

    desk = _desk(ctx)

    async def run() -> list[Any]:
        async with PoliteFetcher(desk.fetch_policy()) as fetcher:
            return await collect_round(desk, fetcher, names=source)

    table = Table("source", "status", "items", "stored", "duplicates", "quarantined", "error")
    failed = 0
    for record, outcome in asyncio.run(run()):
        failed += outcome.status == "error"
        table.add_row(
            record.name,
            outcome.status,
            *(
                str(n)
                for n in (outcome.items, outcome.stored, outcome.duplicates, outcome.quarantined)
            ),
            (outcome.error or "")[:100],
        )
    console.print(table)
    if failed:
        raise typer.Exit(1)


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option("--host", help="Listen address.")] = None,
    port: Annotated[int | None, typer.Option("--port", help="Listen port.")] = None,
) -> None:
    """Run the scheduler and the HTTP API until stopped."""
    import uvicorn

    from groundswell.web.app import create_app

    settings = _settings(ctx)
    desk = _desk(ctx)
    uvicorn.run(
        create_app(desk, run_scheduler=True),
        host=host or settings.host,
        port=port if port is not None else settings.port,
        log_level=settings.log_level.lower(),
    )


@app.command("import")
def import_file(
    ctx: typer.Context,
    path: Annotated[
        Path, typer.Argument(help="A .jsonl or .csv file.", exists=True, dir_okay=False)
    ],
    source: Annotated[
        str | None, typer.Option("--source", help="Source name (default import:FILE).")
    ] = None,
    file_format: Annotated[str, typer.Option("--format", help="auto, jsonl or csv.")] = "auto",
    text_column: Annotated[
        str | None, typer.Option("--text-column", help="Column with the post text.")
    ] = None,
    title_column: Annotated[
        str | None, typer.Option("--title-column", help="Column with the title.")
    ] = None,
    time_column: Annotated[
        str | None, typer.Option("--time-column", help="Column with the original time.")
    ] = None,
    url_column: Annotated[
        str | None, typer.Option("--url-column", help="Column with the URL.")
    ] = None,
    id_column: Annotated[
        str | None, typer.Option("--id-column", help="Column with a stable id.")
    ] = None,
    author_column: Annotated[
        str | None, typer.Option("--author-column", help="Column with the author (pseudonymised).")
    ] = None,
    base_url: Annotated[
        str | None, typer.Option("--base-url", help="Base for relative URLs in the file.")
    ] = None,
    timezone: Annotated[
        str, typer.Option("--timezone", help="Zone for times without an offset.")
    ] = "UTC",
    batch_size: Annotated[int, typer.Option("--batch-size", help="Rows per transaction.")] = 2000,
) -> None:
    """Import a JSONL or CSV file with its original times; importing it again adds nothing."""
    from groundswell.sources.registry import build_source
    from groundswell.store.posts import StoreResult
    from groundswell.store.sources import add_source, find_source

    config: dict[str, Any] = {
        "path": str(path.resolve()),
        "format": file_format,
        "timezone": timezone,
    }
    mapping = {
        "text_column": text_column,
        "title_column": title_column,
        "time_column": time_column,
        "url_column": url_column,
        "id_column": id_column,
        "author_column": author_column,
        "base_url": base_url,
    }
    config.update({k: v for k, v in mapping.items() if v is not None})
    file_source = build_source("file", config)
    name = source or f"import:{path.name}"
    desk = _desk(ctx)
    with desk.engine.begin() as conn:
        record = find_source(conn, name) or add_source(
            conn, name, "file", file_source.config.model_dump()
        )
    total = StoreResult()
    rows = file_source.count_rows()  # type: ignore[attr-defined]
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=not sys.stderr.isatty()) as progress:
        task = progress.add_task(f"importing {path.name}", total=rows)
        batches = file_source.iter_batches(batch_size)  # type: ignore[attr-defined]
        for result in desk.pipeline.ingest_many(record.id, batches):
            total += result
            progress.advance(task, result.stored + result.duplicates + result.quarantined)
    console.print(
        f"{path.name}: {total.stored} stored, {total.duplicates} already there, "
        f"{total.quarantined} quarantined (source {name!r})"
    )


@app.command()
def search(
    ctx: typer.Context,
    query: Annotated[
        str, typer.Argument(help="Words that must all appear (Chinese or English).")
    ] = "",
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    since: Annotated[
        datetime | None, typer.Option("--since", help="From this time (UTC unless given).")
    ] = None,
    until: Annotated[datetime | None, typer.Option("--until", help="Before this time.")] = None,
    source: Annotated[str | None, typer.Option("--source", help="Only this source.")] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="zh, en or other.")] = None,
    order: Annotated[str, typer.Option("--order", help="newest or relevance.")] = "newest",
    limit: Annotated[int, typer.Option("--limit", help="How many results.")] = 20,
) -> None:
    """Search stored posts, newest first or by relevance."""
    from datetime import UTC

    from groundswell.store.search import SearchQuery, search_posts

    def aware(value: datetime | None) -> datetime | None:
        return value.replace(tzinfo=UTC) if value and value.tzinfo is None else value

    desk = _desk(ctx)
    q = SearchQuery(query, aware(since), aware(until), source, lang, order, limit)  # type: ignore[arg-type]
    with desk.engine.connect() as conn:
        hits = search_posts(conn, q)
    if as_json:
        for hit in hits:
            print(json.dumps(hit.to_json(), ensure_ascii=False))
        return
    for hit in hits:
        when = (hit.published_at or hit.collected_at).strftime("%Y-%m-%d %H:%M")
        headline = hit.title or hit.text[:100]
        console.print(
            f"[dim]{when}[/] [cyan]{hit.source}[/] {headline}", markup=True, highlight=False
        )
    if not hits:
        err.print("no matching posts")


@app.command()
def demo(
    ctx: typer.Context,
    speed: Annotated[
        float, typer.Option("--speed", help="Replay speed-up over real time.")
    ] = 1440.0,
    duration: Annotated[
        float | None, typer.Option("--duration", help="Stop after this many seconds.")
    ] = None,
    port: Annotated[int | None, typer.Option("--port", help="API port (0: any free port).")] = None,
) -> None:
    """Replay real data as local feeds, pages and pushes, and collect it through the real path."""
    from groundswell.demo.runner import run_demo

    settings = _settings(ctx)
    asyncio.run(run_demo(settings, speed=speed, duration=duration, port=port, console=console))


@app.command()
def retention(
    ctx: typer.Context,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count, delete nothing.")] = False,
) -> None:
    """Apply the retention policy now (`serve` does it every six hours)."""
    from groundswell.store.retention import Policy, sweep

    settings = _settings(ctx)
    desk = _desk(ctx)
    counts = sweep(desk.engine, Policy.from_settings(settings), datetime.now(UTC), dry_run=dry_run)
    verb = "would delete" if dry_run else "deleted"
    for name, n in counts.items():
        console.print(f"{verb} {n} {name}")
    if not counts:
        console.print("the policy keeps everything (all retention settings are 0)")


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def bench(
    name: Annotated[str, typer.Argument(help="Benchmark module in bench/ (e.g. ingest, search).")],
    args: Annotated[list[str] | None, typer.Argument(help="Arguments for the benchmark.")] = None,
) -> None:
    """Run a benchmark from bench/ (from a source checkout)."""
    import runpy

    sys.path.insert(0, str(Path.cwd()))  # bench/ lives in the checkout, not the package
    module = name.replace("-", "_")  # `bench alert-latency` runs bench/alert_latency.py
    sys.argv = [f"bench.{module}", *(args or [])]
    try:
        runpy.run_module(f"bench.{module}", run_name="__main__")
    except ImportError as exc:
        raise GroundswellError(
            f"no benchmark {name!r} (run from the project checkout): {exc}"
        ) from exc


from groundswell import (  # noqa: E402  (they register on `app`)
    cli_alerts,
    cli_analysis,
    cli_duty,
    cli_sources,
    cli_users,
)

cli_sources.register(app)
cli_analysis.register(app)
cli_users.register(app)
cli_alerts.register(app)
cli_duty.register(app)


def main() -> None:
    """Console entry point: Groundswell errors print one clear line and exit 2."""
    try:
        app()
    except GroundswellError as exc:
        err.print(f"[red]error:[/] {exc}")
        sys.exit(2)
