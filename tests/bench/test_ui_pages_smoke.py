"""The UI pages benchmark runs end to end on a small database and reports every page."""

from __future__ import annotations

import json

import pytest

from bench import ui_pages

PAGES = {"dashboard", "dashboard_since", "feed", "feed_scheme", "feed_stream_poll", "events"}
PAGES |= {"search", "api_posts"}


def test_small_run_reports_every_page(capsys: pytest.CaptureFixture[str]) -> None:
    ui_pages.main(
        ["--posts", "2000", "--sample", "400", "--schemes", "4", "--requests", "3",
         "--warmup", "1", "--processes", "1"]
    )  # fmt: skip
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["bench"] == "ui_pages"
    assert result["target_p95_ms"] == 300.0
    assert len(result["load_avg_1m"]) == 2
    built = result["build"]
    assert built["posts"] == 2000  # the sample replicated to exactly --posts
    assert 364 < built["span_days"] <= 365.1  # spread over the year
    assert built["post_matches"] > 0 and built["events"] > 0 and built["stories"] > 0
    assert set(result["pages"]) >= PAGES
    for name, page in result["pages"].items():
        assert 0 < page["p50_ms"] <= page["p95_ms"] <= page["max_ms"], name
        assert page["meets_target"] == (page["p95_ms"] < 300.0), name
    assert result["meets_target"] == all(p["meets_target"] for p in result["pages"].values())
