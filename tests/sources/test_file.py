"""FileSource: real stream replays, broken rows quarantined, encodings, stable ids."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from groundswell.errors import ConfigError, FetchError
from groundswell.models import RawItem
from groundswell.sources.file import FileSource, FileSourceConfig, parse_timestamp
from groundswell.sources.registry import build_source

STREAMS = Path("../shared/data/streams")
NEWS = STREAMS / "en_news_headlines_2026-07-24_2026-08-22.csv"
WEIBO = STREAMS / "weibo_hot_search_2026-07-24_2026-08-22.csv"


def _source(path: Path | str, **config: object) -> FileSource:
    return FileSource(FileSourceConfig(path=str(path), **config))


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


async def test_news_stream_replays_every_row_with_its_original_time() -> None:
    source = _source(NEWS, text_column="headline", time_column="first_seen")
    originals = _read_csv(NEWS)
    batch = await source.collect(None)  # type: ignore[arg-type]  # a file needs no fetcher
    assert len(originals) == 4978
    assert len(batch.items) == len(originals) and not batch.rejected
    for item, row in zip(batch.items, originals, strict=True):
        assert item.text == row["headline"]
        assert item.published_at is not None and item.published_at.tzinfo is not None
        assert item.published_at == datetime.fromisoformat(row["first_seen"])
        assert (
            item.published_at.utcoffset() == datetime.fromisoformat(row["first_seen"]).utcoffset()
        )
        assert item.raw["publisher"] == row["publisher"]
    assert len({item.external_id for item in batch.items}) == len(originals)
    assert source.count_rows() == len(originals)


def test_weibo_hot_search_maps_title_and_china_time() -> None:
    source = _source(WEIBO, title_column="title", base_url="https://s.weibo.com")
    originals = _read_csv(WEIBO)
    items = [item for batch in source.iter_batches(batch_size=2000) for item in batch.items]
    assert len(items) == len(originals) == 9848
    assert all(item.published_at.utcoffset() == timedelta(hours=8) for item in items)  # type: ignore[union-attr]
    assert [item.title for item in items[:50]] == [row["title"] for row in originals[:50]]
    assert items[0].text is None and items[0].url.startswith("https://s.weibo.com/weibo?q=")  # type: ignore[union-attr]
    assert items[0].raw["_line"] == 2


def test_iter_batches_respects_batch_size(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text("".join(json.dumps({"text": f"post {i}"}) + "\n" for i in range(25)))
    sizes = [len(b.items) for b in _source(path).iter_batches(batch_size=10)]
    assert sizes == [10, 10, 5]


def test_jsonl_broken_line_is_rejected_with_its_line_number(tmp_path: Path) -> None:
    path = tmp_path / "posts.jsonl"
    path.write_text(
        '{"id": "a", "text": "first", "created_at": 1785000000}\n'
        '{"id": "b", "text": "second", "created_at": 1785000000123}\n'
        "\n"
        '{"id": "c", "text": "thi\n'
        "[1, 2]\n"
        '{"id": "d", "text": "fourth", "author": "ann", "url": "https://example.org/d"}\n',
        encoding="utf-8",
    )
    batch = _source(path).read_all()
    assert [item.external_id for item in batch.items] == ["a", "b", "d"]
    assert [r.reason.split(":")[0] for r in batch.rejected] == ["line 4", "line 5"]
    assert "malformed JSON" in batch.rejected[0].reason
    assert "JSON object" in batch.rejected[1].reason
    assert batch.items[0].published_at == datetime.fromtimestamp(1785000000, tz=UTC)
    assert batch.items[1].published_at == datetime.fromtimestamp(1785000000.123, tz=UTC)
    assert batch.items[2].author == "ann" and batch.items[2].url == "https://example.org/d"
    assert batch.items[2].raw == {
        "id": "d",
        "text": "fourth",
        "author": "ann",
        "url": "https://example.org/d",
        "_line": 6,
    }
    assert _source(path).count_rows() == 5


def test_gbk_csv_is_decoded(tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    rows = [("2026-07-24 09:30:00", "某市自来水出现异味，居民反映强烈，有关部门已介入调查")] * 3
    rows += [("2026-07-24 10:00:00", "市政府新闻办召开发布会，通报城区供水情况和处置进展")]
    with path.open("w", encoding="gbk", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["时间", "内容"])
        writer.writerows(rows)
    source = _source(path, text_column="内容", time_column="时间", timezone="Asia/Shanghai")
    batch = source.read_all()
    assert [item.text for item in batch.items] == [text for _, text in rows]
    shanghai = ZoneInfo("Asia/Shanghai")
    assert batch.items[0].published_at == datetime(2026, 7, 24, 9, 30, tzinfo=shanghai)
    explicit = _source(path, text_column="内容", encoding="gbk").read_all()
    assert explicit.items[3].text == rows[3][1]


def test_utf8_bom_header_is_not_part_of_the_first_column(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_text("text,id\nhello,1\n", encoding="utf-8-sig")
    item = _source(path).read_all().items[0]
    assert item.text == "hello" and item.external_id == "1"


def test_ids_are_stable_across_reads_and_use_the_id_column(tmp_path: Path) -> None:
    first = [i.external_id for i in _source(NEWS, text_column="headline").read_all().items[:200]]
    again = [i.external_id for i in _source(NEWS, text_column="headline").read_all().items[:200]]
    assert first == again and len(set(first)) == 200
    path = tmp_path / "ids.csv"
    path.write_text("post_id,body\n42,hello\n43,world\n")
    items = _source(path, id_column="post_id", text_column="body").read_all().items
    assert [i.external_id for i in items] == ["42", "43"]


def test_wrong_field_count_and_bad_time_are_rejected_and_import_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    path.write_text(
        'time,text\n2026-07-24 10:00:00,ok\n2026-07-24,too,many\n"not a time",x\n'
        '2026-07-24 11:00:00,"two\nlines"\n,no time\n'
    )
    batch = _source(path).read_all()
    assert [item.text for item in batch.items] == ["ok", "two\nlines", "no time"]
    assert batch.items[2].published_at is None
    assert batch.rejected[0].reason == "line 3: expected 2 fields, got 3"
    assert batch.rejected[1].reason.startswith("line 4: cannot parse time 'not a time'")
    assert batch.rejected[1].raw == {"time": "not a time", "text": "x", "_line": 4}
    assert batch.items[1].raw["_line"] == 5 and batch.items[2].raw["_line"] == 7
    assert _source(path).count_rows() == 5


def test_empty_text_and_title_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text('{"text": ""}\n{"text": {"nested": 1}}\n{"text": "fine"}\n')
    batch = _source(path).read_all()
    assert [r.reason for r in batch.rejected] == [
        "line 1: empty text and title",
        "line 2: text column 'text' holds a dict, not text",
    ]
    assert len(batch.items) == 1


def test_missing_columns_give_config_error_listing_available(tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    path.write_text("when,who\n2026-07-24,ann\n")
    with pytest.raises(ConfigError, match="available columns: when, who"):
        _source(path).read_all()
    with pytest.raises(ConfigError, match="text_column 'body' is not a column"):
        _source(path, text_column="body").read_all()


def test_missing_file_is_a_fetch_error(tmp_path: Path) -> None:
    with pytest.raises(FetchError, match="cannot open"):
        _source(tmp_path / "nope.csv").read_all()


def test_config_validation_through_registry() -> None:
    assert isinstance(build_source("file", {"path": "x.jsonl"}), FileSource)
    with pytest.raises(ConfigError, match="extension"):
        build_source("file", {"path": "data.txt"})
    with pytest.raises(ConfigError, match="time zone"):
        build_source("file", {"path": "x.csv", "timezone": "Mars/Olympus"})
    with pytest.raises(ConfigError, match="encoding"):
        build_source("file", {"path": "x.csv", "encoding": "klingon"})
    source = build_source("file", {"path": "x.csv", "format": "jsonl", "encoding": "GB2312"})
    assert source.config.encoding == "gb18030"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            "2026-07-24T00:36+02:00",
            datetime(2026, 7, 24, 0, 36, tzinfo=timezone(timedelta(hours=2))),
        ),
        (
            "2026-07-24T01:39:42+08:00",
            datetime(2026, 7, 24, 1, 39, 42, tzinfo=timezone(timedelta(hours=8))),
        ),
        ("2026-07-24T00:36:00Z", datetime(2026, 7, 24, 0, 36, tzinfo=UTC)),
        ("2026-07-24 12:00:00", datetime(2026, 7, 24, 12, tzinfo=UTC)),
        ("2026/07/24 12:00", datetime(2026, 7, 24, 12, tzinfo=UTC)),
        ("2026年07月24日 12:00", datetime(2026, 7, 24, 12, tzinfo=UTC)),
        ("Tue Feb 24 11:35:52 -0800 2015", datetime(2015, 2, 24, 19, 35, 52, tzinfo=UTC)),
        ("Tue, 24 Feb 2015 11:35:52 GMT", datetime(2015, 2, 24, 11, 35, 52, tzinfo=UTC)),
        ("2/24/2015 11:35", datetime(2015, 2, 24, 11, 35, tzinfo=UTC)),
        ("1785000000", datetime.fromtimestamp(1785000000, tz=UTC)),
        ("1785000000123", datetime.fromtimestamp(1785000000.123, tz=UTC)),
        (1785000000, datetime.fromtimestamp(1785000000, tz=UTC)),
        ("20260724", datetime(2026, 7, 24, tzinfo=UTC)),
        ("", None),
        (None, None),
    ],
)
def test_parse_timestamp(value: object, expected: datetime | None) -> None:
    parsed = parse_timestamp(value)
    assert parsed == expected
    assert parsed is None or parsed.tzinfo is not None


@pytest.mark.parametrize("value", ["yesterday", "2026-13-45 10:00:00", True, [2026], "1e400"])
def test_parse_timestamp_refuses_garbage(value: object) -> None:
    with pytest.raises(ValueError):
        parse_timestamp(value)


def test_naive_time_takes_the_configured_zone() -> None:
    tz = ZoneInfo("Asia/Shanghai")
    assert parse_timestamp("2026-07-24 08:00:00", tz) == datetime(2026, 7, 24, tzinfo=UTC)
    assert isinstance(RawItem(raw={}).raw, dict)
