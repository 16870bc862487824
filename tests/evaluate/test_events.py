"""Clustering metrics on hand-checked partitions, and `evaluate_events` on real rows."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

import pytest

from groundswell.errors import ParseError
from groundswell.evaluate.clustering_metrics import bcubed, score_clustering
from groundswell.evaluate.events import evaluate_events, load_labelled_posts

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "events"
CONTRACT_KEYS = {"n", "bcubed_precision", "bcubed_recall", "bcubed_f1", "nmi", "docs_per_s"}


def test_bcubed_on_a_hand_checked_partition() -> None:
    # Clusters A = {1:x, 2:x, 3:y}, B = {4:y, 5:y}; gold classes x = {1, 2}, y = {3, 4, 5}.
    # Precision per item: 1, 2 -> 2/3; 3 -> 1/3; 4, 5 -> 2/2.  Mean = (11/3) / 5 = 11/15.
    # Recall per item:    1, 2 -> 2/2; 3 -> 1/3; 4, 5 -> 2/3.  Mean = (11/3) / 5 = 11/15.
    precision, recall, f1 = bcubed(["A", "A", "A", "B", "B"], ["x", "x", "y", "y", "y"])
    assert math.isclose(precision, 11 / 15)
    assert math.isclose(recall, 11 / 15)
    assert math.isclose(f1, 11 / 15)


def test_bcubed_extremes() -> None:
    gold = ["x", "x", "y", "y", "y"]
    # All singletons: precision 1; recall per item 1/|class|: (1/2 * 2 + 1/3 * 3) / 5 = 2/5.
    precision, recall, _ = bcubed(["1", "2", "3", "4", "5"], gold)
    assert (precision, recall) == (1.0, pytest.approx(2 / 5))
    # One cluster: recall 1; precision per item |class|/5: (2/5 * 2 + 3/5 * 3) / 5 = 13/25.
    precision, recall, _ = bcubed(["c"] * 5, gold)
    assert (precision, recall) == (pytest.approx(13 / 25), 1.0)


def test_perfect_clustering_under_other_names_scores_one() -> None:
    scores = score_clustering([7, 7, 3, 3, 3], ["x", "x", "y", "y", "y"])
    assert scores.bcubed_f1 == 1.0
    assert math.isclose(scores.nmi, 1.0)


def test_metrics_refuse_mismatched_or_empty_input() -> None:
    with pytest.raises(ValueError):
        bcubed(["a"], ["x", "y"])
    with pytest.raises(ValueError):
        bcubed([], [])


def write_rows(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def crisis_sample(n: int) -> list[list[str]]:
    """Every 12th row of the CrisisLex dev file, so all crises appear, some rows time-less."""
    with (DATA / "en" / "crisislex_t26_dev.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))[1:]
    return rows[::12][:n]


def test_evaluate_events_prints_a_report_and_the_contract_json_last(tmp_path: Path) -> None:
    rows = crisis_sample(800)
    path = write_rows(tmp_path / "sample.csv", ["id", "time", "text", "event"], rows)
    out = io.StringIO()
    result = evaluate_events(path, out=out)
    lines = out.getvalue().strip().splitlines()
    assert len(lines) > 1
    assert json.loads(lines[-1]) == result
    assert set(result) == CONTRACT_KEYS
    assert result["n"] == len(rows)
    assert 0.0 <= result["bcubed_precision"] <= 1.0 and 0.0 <= result["nmi"] <= 1.0
    assert result["bcubed_f1"] > 0.5  # 13 crises months apart are not one blob
    assert result["docs_per_s"] > 0


def test_rows_are_fed_in_time_order_and_timeless_rows_keep_their_place(tmp_path: Path) -> None:
    rows = [
        ["a", "2013-01-02T00:00:00+00:00", "second", "e"],
        ["b", "", "rides behind a", "e"],
        ["c", "2013-01-01T00:00:00+00:00", "first", "e"],
    ]
    path = write_rows(tmp_path / "order.csv", ["id", "time", "text", "event"], rows)
    assert [p.key for p in load_labelled_posts(path)] == ["c", "a", "b"]


def test_a_file_without_times_is_fed_in_file_order(tmp_path: Path) -> None:
    rows = [[str(i), "", f"title {i}", "e"] for i in (3, 1, 2)]
    path = write_rows(tmp_path / "notime.csv", ["id", "time", "text", "event"], rows)
    assert [p.key for p in load_labelled_posts(path)] == ["3", "1", "2"]


def test_missing_file_is_a_parse_error(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="cannot read"):
        evaluate_events(tmp_path / "nope.csv", out=io.StringIO())


def test_missing_columns_are_named(tmp_path: Path) -> None:
    path = write_rows(tmp_path / "cols.csv", ["id", "text"], [["1", "flood"]])
    with pytest.raises(ParseError, match="time, event"):
        evaluate_events(path, out=io.StringIO())


def test_bad_time_is_a_parse_error_naming_the_line_unless_asked_to_ignore(tmp_path: Path) -> None:
    rows = [["1", "2013-01-01T00:00:00+00:00", "flood", "e"], ["2", "03月23日T19:24", "x", "e"]]
    path = write_rows(tmp_path / "time.csv", ["id", "time", "text", "event"], rows)
    with pytest.raises(ParseError, match="line 3"):
        evaluate_events(path, out=io.StringIO())
    posts = load_labelled_posts(path, bad_times="empty")
    assert [p.time is None for p in posts] == [False, True]


def test_empty_and_undecodable_files_are_parse_errors(tmp_path: Path) -> None:
    empty = write_rows(tmp_path / "empty.csv", ["id", "time", "text", "event"], [])
    with pytest.raises(ParseError, match="no rows"):
        evaluate_events(empty, out=io.StringIO())
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"id,time,text,event\n1,,\xff\xfe\xfa,e\n")
    with pytest.raises(ParseError, match="UTF-8"):
        evaluate_events(binary, out=io.StringIO())


def test_chinese_cascades_sample_runs(tmp_path: Path) -> None:
    with (DATA / "zh" / "weibo_cascades.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))[:600]
    path = write_rows(
        tmp_path / "zh.csv",
        ["id", "time", "text", "event"],
        [[r["id"], r["time"], r["text"], r["event"]] for r in rows],
    )
    result = evaluate_events(path, out=io.StringIO(), bad_times="empty")
    assert result["n"] == 600
    assert result["bcubed_precision"] > 0.5
