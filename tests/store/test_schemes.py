"""Schemes as stored: validated on save, versioned so workers recompile."""

from __future__ import annotations

import pytest

from groundswell.context import Desk
from groundswell.errors import ConfigError, QueryError
from groundswell.store.schemes import (
    add_scheme,
    get_scheme,
    list_schemes,
    remove_scheme,
    schemes_version,
    update_scheme,
)


def test_add_list_update_remove_and_version(desk: Desk) -> None:
    with desk.engine.begin() as conn:
        v0 = schemes_version(conn)
        scheme = add_scheme(
            conn,
            " metro ",
            subject_words=["地铁", " metro ", "", "地铁"],
            region_words=["上海"],
            exclusion_words=['"fire drill"'],
        )
        assert scheme.name == "metro"
        assert scheme.subject_words == ["地铁", "metro"]  # blanks and repeats dropped
        v1 = schemes_version(conn)
        update_scheme(conn, "metro", event_words=["事故"])
        v2 = schemes_version(conn)
        assert get_scheme(conn, scheme.id).event_words == ["事故"]
        assert len({v0, v1, v2}) == 3
        remove_scheme(conn, "metro")
        assert list_schemes(conn) == []
        assert schemes_version(conn) not in {v1, v2}


def test_invalid_schemes_are_refused_with_a_position(desk: Desk) -> None:
    with desk.engine.begin() as conn:
        with pytest.raises(QueryError) as info:
            add_scheme(conn, "bad", query="flood AND (rain")
        assert info.value.position is not None
        with pytest.raises(QueryError):
            add_scheme(conn, "only exclusions", exclusion_words=["x"])
        with pytest.raises(ConfigError):
            add_scheme(conn, "   ", subject_words=["x"])
        add_scheme(conn, "ok", subject_words=["x"])
        with pytest.raises(ConfigError, match="already exists"):
            add_scheme(conn, "ok", subject_words=["y"])
        with pytest.raises(QueryError):
            update_scheme(conn, "ok", query="NEAR/")
        with pytest.raises(ConfigError, match="unknown"):
            update_scheme(conn, "ok", colour="red")
        assert get_scheme(conn, "ok").query == ""
