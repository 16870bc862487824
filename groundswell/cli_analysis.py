"""Commands for the analysis side: schemes, events, spikes, sentiment training and evaluation.

Registered on the main `groundswell` app by `groundswell.cli`; documented in docs/cli.md.
The `eval` commands print human-readable lines and, as their last line, one JSON
object: that line is the contract scripts and acceptance checks read.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from groundswell.context import Desk
from groundswell.settings import Settings

console = Console()
err = Console(stderr=True)

schemes_app = typer.Typer(help="Monitoring schemes: add, list, test, remove.", no_args_is_help=True)
eval_app = typer.Typer(help="Score an analysis stage on a labelled CSV file.", no_args_is_help=True)
train_app = typer.Typer(
    help="Train the shipped models from data and corrections.", no_args_is_help=True
)

Words = Annotated[list[str] | None, typer.Option(help='Repeat for each word or "phrase".')]


def _desk(ctx: typer.Context) -> Desk:
    settings: Settings = ctx.obj["settings"]
    return Desk.open(settings)


def _iso(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def _print_json_last(result: dict[str, object]) -> None:
    print(json.dumps(result, ensure_ascii=False), flush=True)


# --- schemes ------------------------------------------------------------------------


@schemes_app.command("add")
def schemes_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="A unique name, e.g. 'metro safety'.")],
    subject: Words = None,
    region: Words = None,
    event: Words = None,
    exclude: Words = None,
    query: Annotated[str, typer.Option("--query", help="Advanced query (AND OR NOT ...).")] = "",
    department: Annotated[
        str | None, typer.Option("--department", help="Owning department.")
    ] = None,
) -> None:
    """Add a scheme: any subject word AND any region word AND any event word, minus exclusions."""
    from groundswell.store.schemes import add_scheme

    desk = _desk(ctx)
    with desk.engine.begin() as conn:
        scheme = add_scheme(
            conn,
            name,
            subject_words=subject or [],
            region_words=region or [],
            event_words=event or [],
            exclusion_words=exclude or [],
            query=query,
            department=department,
        )
    console.print(f"added scheme {scheme.name!r} (id {scheme.id})", highlight=False)


@schemes_app.command("list")
def schemes_list(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """List schemes with the query each compiles to."""
    from dataclasses import asdict

    from groundswell.store.schemes import list_schemes, scheme_text

    desk = _desk(ctx)
    with desk.engine.connect() as conn:
        schemes = list_schemes(conn)
    if as_json:
        for scheme in schemes:
            print(
                json.dumps({**asdict(scheme), "compiled": scheme_text(scheme)}, ensure_ascii=False)
            )
        return
    table = Table("id", "name", "query")
    for scheme in schemes:
        table.add_row(str(scheme.id), scheme.name, scheme_text(scheme))
    console.print(table)


@schemes_app.command("remove")
def schemes_remove(
    ctx: typer.Context, name: Annotated[str, typer.Argument(help="The scheme's name.")]
) -> None:
    """Remove a scheme (its matches go with it; the posts stay)."""
    from groundswell.store.schemes import remove_scheme

    desk = _desk(ctx)
    with desk.engine.begin() as conn:
        remove_scheme(conn, name)
    console.print(f"removed scheme {name!r}", highlight=False)


@schemes_app.command("test")
def schemes_test(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="A query in the scheme query language.")],
    days: Annotated[float, typer.Option("--days", help="Look back this many days.")] = 7.0,
    limit: Annotated[int, typer.Option("--limit", help="Sample size to show.")] = 10,
) -> None:
    """Check a query and count the stored posts of the last N days it would match."""
    from groundswell.analyze.backtest import backtest_query

    desk = _desk(ctx)
    with desk.engine.connect() as conn:
        result = backtest_query(conn, query, days=days, sample=limit)
    for hit in result.sample:
        console.print(f"[dim]{hit['time']}[/] {hit['text'][:120]}", highlight=False)
    console.print(
        f"{result.matched} of {result.scanned} posts in the last {days:g} days match",
        highlight=False,
    )


# --- events and spikes -----------------------------------------------------------------


def events(
    ctx: typer.Context,
    hours: Annotated[
        float, typer.Option("--hours", help="Events active in the last N hours.")
    ] = 72,
    limit: Annotated[int, typer.Option("--limit", help="How many events.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    at: Annotated[datetime | None, typer.Option("--at", help="As of this time.")] = None,
) -> None:
    """The hottest recent events: size, sentiment mix, sources and heat."""
    from groundswell.store.events import top_events

    now = at.replace(tzinfo=UTC) if at and at.tzinfo is None else at
    desk = _desk(ctx)
    with desk.engine.connect() as conn:
        rows = top_events(conn, since_hours=hours, limit=limit, now=now)
    if as_json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False, default=_iso))
        return
    table = Table("heat", "posts", "neg", "last seen", "title")
    for row in rows:
        negative = row["sentiment_mix"].get("negative", 0)
        table.add_row(
            f"{row['heat']:.0f}",
            str(row["size"]),
            f"{negative / max(row['size'], 1):.0%}",
            row["last_seen"].strftime("%Y-%m-%d %H:%M"),
            row["title"][:80],
        )
    console.print(table)


def spikes(
    ctx: typer.Context,
    at: Annotated[datetime | None, typer.Option("--at", help="Judge as of this time.")] = None,
    window: Annotated[str, typer.Option("--window", help="hour or day.")] = "hour",
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Volume and negative-share spikes per scheme and per event, with their explanation."""
    from groundswell.analyze.detect import detect_spikes

    now = at.replace(tzinfo=UTC) if at and at.tzinfo is None else at or datetime.now(UTC)
    desk = _desk(ctx)
    with desk.engine.connect() as conn:
        found = detect_spikes(conn, now, window)
    for spike in found:
        if as_json:
            print(json.dumps(spike.as_dict(), ensure_ascii=False, default=_iso))
        else:
            console.print(f"[bold]{spike.subject}[/]: {spike.result.explanation}", highlight=False)
    if not found and not as_json:
        err.print("no spikes")


# --- training and evaluation -------------------------------------------------------------

DATA_DIR = Path("..") / "shared" / "data"


@train_app.command("sentiment")
def train_sentiment_command(
    ctx: typer.Context,
    data_dir: Annotated[
        Path, typer.Option("--data", help="Labelled data (../shared/data).")
    ] = DATA_DIR,
    output: Annotated[
        Path | None, typer.Option("--output", help="Model file (default: the packaged model).")
    ] = None,
    corrections: Annotated[
        bool, typer.Option(help="Include analysts' corrections from the database.")
    ] = True,
    heldout: Annotated[
        bool, typer.Option(help="Measure the held-out protocol first (about a minute more).")
    ] = True,
) -> None:
    """Train the built-in sentiment model from the data sets and analysts' corrections."""
    from groundswell.analyze.sentiment.analyzer import DEFAULT_MODEL
    from groundswell.analyze.sentiment.train import train_sentiment
    from groundswell.store.analysis import list_corrections

    pairs: list[tuple[str, str]] = []
    if corrections:
        desk = _desk(ctx)
        with desk.engine.connect() as conn:
            pairs = list_corrections(conn)
        console.print(f"{len(pairs)} corrections from the database", highlight=False)
    result = train_sentiment(
        output or DEFAULT_MODEL,
        data_dir=data_dir,
        corrections=pairs,
        heldout=heldout,
        out=sys.stdout,
    )
    _print_json_last(result)


@eval_app.command("sentiment")
def eval_sentiment(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="CSV with columns text,label.")],
) -> None:
    """Macro-F1 and accuracy of the configured sentiment backend on a labelled file."""
    from groundswell.analyze.workers import load_sentiment
    from groundswell.evaluate.sentiment import evaluate_sentiment

    analyzer = load_sentiment(ctx.obj["settings"])
    evaluate_sentiment(
        path, analyzer=analyzer, out=sys.stdout
    )  # prints its report, the JSON line last


@eval_app.command("events")
def eval_events(
    path: Annotated[Path, typer.Argument(help="CSV with columns id,time,text,event.")],
    bad_times: Annotated[
        str, typer.Option("--bad-times", help="empty: treat unparseable times as missing; error.")
    ] = "empty",
) -> None:
    """B-cubed precision/recall/F1 and NMI of event clustering on a labelled file."""
    from groundswell.evaluate.events import evaluate_events

    if bad_times not in ("empty", "error"):
        raise typer.BadParameter("must be empty or error", param_hint="--bad-times")
    evaluate_events(
        path, bad_times=bad_times, out=sys.stdout
    )  # prints its report, the JSON line last


@eval_app.command("relevance")
def eval_relevance(
    path: Annotated[Path, typer.Argument(help="CSV with columns topic,text,label.")],
    query: Annotated[str, typer.Option("--query", help="The scheme query to judge.")],
) -> None:
    """Precision/recall/F1 of a query against on-topic/off-topic labels."""
    from groundswell.evaluate.relevance import evaluate_relevance

    evaluate_relevance(path, query, out=sys.stdout)  # prints its report, the JSON line last


def register(app: typer.Typer) -> None:
    app.add_typer(schemes_app, name="schemes")
    app.add_typer(eval_app, name="eval")
    app.add_typer(train_app, name="train")
    app.command("events")(events)
    app.command("spikes")(spikes)
