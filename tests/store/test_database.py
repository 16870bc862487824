"""JSON columns through orjson, the standard library behind it; URLs other processes share."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from groundswell.context import Desk
from groundswell.store.database import dumps_json, loads_json, shared_across_processes
from groundswell.store.sources import add_source
from groundswell.store.tables import sources


def test_dumps_json_writes_utf8_and_string_keys() -> None:
    text = dumps_json({"标题": "市民热线", 7: [1, 2.5, None, True]})
    assert text == '{"标题":"市民热线","7":[1,2.5,null,true]}'
    assert json.loads(text) == {"标题": "市民热线", "7": [1, 2.5, None, True]}


def test_what_orjson_refuses_falls_back_to_the_standard_library() -> None:
    assert json.loads(dumps_json({"n": 2**70})) == {"n": 2**70}
    assert json.loads(dumps_json(["lone \ud800 surrogate"])) == ["lone \ud800 surrogate"]


def test_loads_json_reads_what_the_standard_library_wrote() -> None:
    assert loads_json('{"a": 1}') == {"a": 1}
    value = loads_json(json.dumps({"x": float("nan")}))
    assert value["x"] != value["x"]  # NaN survives, as before


def test_json_columns_round_trip_on_both_backends(desk: Desk) -> None:
    config = {"url": "https://example.org/feed", "标签": ["通知", "公告"], "limits": {"5": 1}}
    with desk.engine.begin() as conn:
        source_id = add_source(conn, "官方网站", "rss", config).id
    with desk.engine.connect() as conn:
        stored = conn.execute(select(sources.c.config).where(sources.c.id == source_id)).scalar()
    assert stored == config


@pytest.mark.parametrize(
    ("url", "shared"),
    [
        ("sqlite://", False),
        ("sqlite:///:memory:", False),
        ("sqlite:///file:x?mode=memory&uri=true", False),
        ("sqlite:////var/lib/groundswell/desk.db", True),
        ("sqlite:///relative.db", True),
        ("postgresql://u@localhost/db", True),
    ],
)
def test_in_memory_sqlite_is_not_shared_across_processes(url: str, shared: bool) -> None:
    assert shared_across_processes(url) is shared
