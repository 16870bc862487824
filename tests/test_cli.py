"""The command line, in-process through typer's runner, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from groundswell.cli import app
from tests.support.http_server import LocalHTTPServer, Reply

HEADLINES = Path("../shared/data/streams/en_news_headlines_2026-07-24_2026-08-22.csv")
runner = CliRunner()


def cli(db: str, *args: str) -> str:
    result = runner.invoke(app, ["--db", db, *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_import_is_idempotent_and_searchable(db_url: str) -> None:
    rows = sum(1 for _ in HEADLINES.open(encoding="utf-8")) - 1
    args = ("import", str(HEADLINES), "--text-column", "headline", "--time-column", "first_seen")
    first = cli(db_url, *args)
    assert f"{rows} stored" in first.replace(",", "")
    second = cli(db_url, *args)
    assert "0 stored" in second and f"{rows} already there" in second
    lines = cli(db_url, "search", "tariffs", "--json", "--limit", "5").strip().splitlines()
    hits = [json.loads(line) for line in lines]
    assert len(hits) == 5
    assert all("tariff" in h["text"].lower() for h in hits)
    times = [h["published_at"] for h in hits]
    assert times == sorted(times, reverse=True)
    assert all(h["source"] == f"import:{HEADLINES.name}" for h in hits)


def test_sources_add_list_remove_and_bad_config(sqlite_url: str) -> None:
    cli(sqlite_url, "sources", "add", "city", "--kind", "rss", "--url", "https://city.example/rss")
    listed = [
        json.loads(line) for line in cli(sqlite_url, "sources", "list", "--json").splitlines()
    ]
    assert [(s["name"], s["status"]) for s in listed] == [("city", "new")]
    bad = runner.invoke(app, ["--db", sqlite_url, "sources", "add", "x", "--kind", "rss"])
    assert bad.exit_code != 0
    unknown = runner.invoke(app, ["--db", sqlite_url, "sources", "add", "y", "--kind", "telepathy"])
    assert unknown.exit_code != 0
    cli(sqlite_url, "sources", "remove", "city")
    assert cli(sqlite_url, "sources", "list", "--json").strip() == ""


def test_collect_shows_failures_and_exits_nonzero(
    sqlite_url: str, http_server: LocalHTTPServer, monkeypatch: object
) -> None:
    http_server.route("/robots.txt", Reply(404))
    http_server.route("/feed.xml", Reply(503))
    monkeypatch.setenv("GROUNDSWELL_ALLOWED_HOSTS", "127.0.0.1")  # type: ignore[attr-defined]
    monkeypatch.setenv("GROUNDSWELL_MAX_RETRIES", "0")  # type: ignore[attr-defined]
    cli(sqlite_url, "sources", "add", "down", "--url", http_server.url("/feed.xml"))
    result = runner.invoke(app, ["--db", sqlite_url, "collect"])
    assert result.exit_code == 1
    assert "error" in result.output and "503" in result.output
    health = json.loads(cli(sqlite_url, "sources", "list", "--json"))
    assert health["status"] == "failing" and "503" in health["last_error"]
