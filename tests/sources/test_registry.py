"""The source registry: every kind honours the contract, bad configs fail clearly."""

from __future__ import annotations

import inspect
import re
from typing import Any

import pytest

from groundswell.errors import ConfigError
from groundswell.sources import registry
from groundswell.sources.base import Source, SourceConfig
from groundswell.sources.registry import build_source, load_source_kinds, source_kinds

# One valid config per registered kind; a new kind must add one here.
VALID_CONFIGS: dict[str, dict[str, Any]] = {
    "rss": {"url": "https://news.example.org/feed.xml"},
    "web": {"url": "https://news.example.org/list", "link_pattern": r"/\d{4}/"},
    "push": {"token": "0123456789abcdef-token"},
    "file": {"path": "../shared/data/streams/en_news_headlines_2026-07-24_2026-08-22.csv"},
}


def test_builtin_kinds_are_registered() -> None:
    assert {"rss", "web", "push", "file"} <= set(source_kinds())


@pytest.mark.parametrize("kind", sorted(source_kinds()))
def test_every_kind_honours_the_contract(kind: str) -> None:
    cls = source_kinds()[kind]
    assert issubclass(cls, Source)
    assert cls.kind == kind and re.fullmatch(r"[a-z][a-z0-9_]*", kind)
    assert isinstance(cls.title, str) and cls.title.strip()
    assert isinstance(cls.Config, type) and issubclass(cls.Config, SourceConfig)
    assert cls.Config.model_config.get("extra") == "forbid"
    assert inspect.iscoroutinefunction(cls.collect)
    assert list(inspect.signature(cls.collect).parameters) == ["self", "ctx"]
    assert isinstance(cls.pull, bool)


@pytest.mark.parametrize("kind", sorted(source_kinds()))
def test_every_kind_builds_from_a_valid_config(kind: str) -> None:
    if kind not in VALID_CONFIGS:
        pytest.fail(f"add a valid sample config for source kind {kind!r} to VALID_CONFIGS")
    source = build_source(kind, VALID_CONFIGS[kind])
    assert isinstance(source, source_kinds()[kind])
    assert isinstance(source.config, source_kinds()[kind].Config)


@pytest.mark.parametrize("kind", sorted(source_kinds()))
def test_every_kind_refuses_unknown_keys(kind: str) -> None:
    config = {**VALID_CONFIGS.get(kind, {}), "no_such_option": 1}
    with pytest.raises(ConfigError, match=f"invalid config for {kind} source: no_such_option"):
        build_source(kind, config)


def test_unknown_kind_names_the_known_ones() -> None:
    with pytest.raises(ConfigError) as info:
        build_source("telepathy", {})
    message = str(info.value)
    assert "unknown source kind 'telepathy'" in message
    assert all(kind in message for kind in ("file", "push", "rss", "web"))


@pytest.mark.parametrize(
    ("kind", "config", "expected"),
    [
        ("web", {}, "invalid config for web source: url: Field required"),
        ("web", {"url": "news.example.org"}, "url: Value error, url must be an absolute http"),
        ("web", {"url": "https://x.test/", "link_pattern": "[a-"}, "link_pattern"),
        ("push", {"token": "too-short"}, "token: String should have at least 16 characters"),
        ("push", {"token": "0123456789abcdef", "max_batch": 0}, "max_batch"),
        ("file", {"path": "notes.txt"}, "cannot tell the format"),
        ("file", {"path": "a.csv", "format": "xml"}, "format: Input should be"),
    ],
)
def test_invalid_configs_give_clear_errors(
    kind: str, config: dict[str, Any], expected: str
) -> None:
    with pytest.raises(ConfigError, match=re.escape(expected)):
        build_source(kind, config)


def test_a_broken_plugin_fails_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    class BrokenEntryPoint:
        name = "broken"

        def load(self) -> type[Source]:
            raise ImportError("No module named 'missing_dependency'")

    def fake_entry_points(group: str) -> list[BrokenEntryPoint]:
        assert group == registry.ENTRY_POINT_GROUP
        return [BrokenEntryPoint()]

    monkeypatch.setattr(registry, "entry_points", fake_entry_points)
    with pytest.raises(ConfigError, match="source plugin 'broken' failed to load: No module"):
        load_source_kinds()
