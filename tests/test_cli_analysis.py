"""The analysis commands end to end: schemes, events, spikes and the eval JSON contract."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from groundswell.cli import app
from groundswell.errors import QueryError

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
HEADLINES = DATA / "streams" / "en_news_headlines_2026-07-24_2026-08-22.csv"
runner = CliRunner()


def cli(db: str, *args: str) -> str:
    result = runner.invoke(app, ["--db", db, *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def last_json(output: str) -> dict[str, object]:
    return json.loads(output.strip().splitlines()[-1])


def subset(source: Path, target: Path, rows: int, keep: object = None) -> Path:
    with source.open(encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        picked = [r for r in reader if keep is None or keep(r)][:rows]  # type: ignore[operator]
        fields = reader.fieldnames or []
    with target.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows(picked)
    return target


def test_schemes_then_import_then_events_and_spikes(sqlite_url: str, tmp_path: Path) -> None:
    cli(sqlite_url, "schemes", "add", "trade", "--subject", "tariff*", "--subject", "trade war")
    listed = [
        json.loads(line) for line in cli(sqlite_url, "schemes", "list", "--json").splitlines()
    ]
    assert listed[0]["name"] == "trade" and "tariff*" in listed[0]["compiled"]
    small = subset(HEADLINES, tmp_path / "headlines.csv", 800)
    cli(
        sqlite_url, "import", str(small), "--text-column", "headline", "--time-column", "first_seen"
    )
    tested = cli(sqlite_url, "schemes", "test", "tariff*", "--days", "100000")
    assert " posts in the last " in tested
    matched = int(tested.strip().splitlines()[-1].split()[0])
    assert matched > 0
    events = [
        json.loads(x) for x in cli(sqlite_url, "events", "--hours", "1e6", "--json").splitlines()
    ]
    assert events and all(e["size"] >= 1 for e in events)
    assert events == sorted(events, key=lambda e: -e["heat"])
    at = "2026-07-26T00:00:00"
    day = [
        json.loads(x)
        for x in cli(sqlite_url, "events", "--at", at, "--hours", "24", "--json").splitlines()
    ]
    assert day and all("2026-07-25T00:00" <= e["last_seen"][:16] <= "2026-07-26T00:00" for e in day)
    cli(sqlite_url, "spikes", "--window", "day", "--at", at)
    cli(sqlite_url, "schemes", "remove", "trade")
    bad = runner.invoke(
        app, ["--db", sqlite_url, "schemes", "add", "bad", "--query", "tariff AND ("]
    )
    assert bad.exit_code != 0
    assert isinstance(bad.exception, QueryError) and bad.exception.position is not None


def test_eval_relevance_and_events_print_the_json_contract(sqlite_url: str, tmp_path: Path) -> None:
    relevance = subset(
        DATA / "relevance" / "en" / "2012_Sandy_Hurricane.csv", tmp_path / "r.csv", 400
    )
    result = last_json(
        cli(sqlite_url, "eval", "relevance", str(relevance), "--query", "sandy OR hurricane")
    )
    assert set(result) >= {"n", "precision", "recall", "f1"} and result["n"] == 400
    events = subset(DATA / "events" / "en" / "crisislex_t26_dev.csv", tmp_path / "e.csv", 600)
    result = last_json(cli(sqlite_url, "eval", "events", str(events)))
    assert set(result) >= {
        "n",
        "bcubed_precision",
        "bcubed_recall",
        "bcubed_f1",
        "nmi",
        "docs_per_s",
    }
    assert result["n"] == 600


def test_source_authority_tier(sqlite_url: str) -> None:
    cli(
        sqlite_url,
        "sources",
        "add",
        "xinhua",
        "--kind",
        "rss",
        "--url",
        "https://x.example/rss",
        "--tier",
        "1",
    )
    cli(sqlite_url, "sources", "add", "blog", "--kind", "rss", "--url", "https://b.example/rss")
    listed = {
        s["name"]: s
        for s in map(json.loads, cli(sqlite_url, "sources", "list", "--json").splitlines())
    }
    assert (listed["xinhua"]["authority_tier"], listed["blog"]["authority_tier"]) == (1, 4)
    cli(sqlite_url, "sources", "tier", "blog", "3")
    listed = {
        s["name"]: s
        for s in map(json.loads, cli(sqlite_url, "sources", "list", "--json").splitlines())
    }
    assert listed["blog"]["authority_tier"] == 3
    bad = runner.invoke(app, ["--db", sqlite_url, "sources", "tier", "blog", "7"])
    assert bad.exit_code != 0


def test_train_with_corrections_then_eval_with_the_new_model(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A correction stored through the API's path reaches `train sentiment`; the model evals."""
    from groundswell.models import RawItem
    from groundswell.store.analysis import add_correction
    from groundswell.store.sources import add_source
    from tests.analyze.sentiment.test_train import _small_data
    from tests.conftest import make_desk

    desk = make_desk(sqlite_url)
    with desk.engine.begin() as conn:
        source = add_source(conn, "s", "push", {"token": "t" * 20})
    desk.pipeline.ingest(
        source.id, [RawItem(raw={}, external_id="1", text="The bus was late again")]
    )
    with desk.engine.begin() as conn:
        add_correction(conn, 1, "negative")
    desk.close()
    data = _small_data(tmp_path / "data")
    model = tmp_path / "model.npz"
    output = cli(
        sqlite_url,
        "train",
        "sentiment",
        "--data",
        str(data),
        "--output",
        str(model),
        "--no-heldout",
    )
    assert "1 corrections from the database" in output
    assert model.is_file()
    last_json(output)  # the last line is JSON
    sample = subset(DATA / "sentiment" / "en" / "tweeteval_val.csv", tmp_path / "t.csv", 300)
    monkeypatch.setenv("GROUNDSWELL_SENTIMENT_MODEL_PATH", str(model))
    result = last_json(cli(sqlite_url, "eval", "sentiment", str(sample)))
    assert set(result) >= {"n", "macro_f1", "accuracy", "docs_per_s"} and result["n"] == 300
    assert 0.0 <= float(result["macro_f1"]) <= 1.0  # type: ignore[arg-type]
