"""The one place source kinds are registered: built-ins and entry-point plugins alike."""

from __future__ import annotations

import logging
from importlib import import_module
from importlib.metadata import entry_points
from typing import Any

from pydantic import ValidationError

from groundswell.errors import ConfigError, validation_problems
from groundswell.sources.base import Source

log = logging.getLogger(__name__)

BUILTIN_SOURCES = [
    "groundswell.sources.rss:RssSource",
    "groundswell.sources.web:WebSource",
    "groundswell.sources.push:PushSource",
    "groundswell.sources.file:FileSource",
]
ENTRY_POINT_GROUP = "groundswell.sources"


def _load(spec: str) -> type[Source]:
    module_name, _, attr = spec.partition(":")
    return getattr(import_module(module_name), attr)


def load_source_kinds() -> dict[str, type[Source]]:
    """All source kinds by name. A plugin that fails to load raises, loudly."""
    kinds: dict[str, type[Source]] = {}
    for spec in BUILTIN_SOURCES:
        cls = _load(spec)
        kinds[cls.kind] = cls
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            cls = ep.load()
        except Exception as exc:  # a broken plugin must be seen, not skipped
            raise ConfigError(f"source plugin {ep.name!r} failed to load: {exc}") from exc
        kinds[cls.kind] = cls
    return kinds


_KINDS: dict[str, type[Source]] | None = None


def source_kinds() -> dict[str, type[Source]]:
    global _KINDS
    if _KINDS is None:
        _KINDS = load_source_kinds()
    return _KINDS


def build_source(kind: str, config: dict[str, Any]) -> Source:
    """Make a source from its kind name and config dict, with a clear error when wrong."""
    kinds = source_kinds()
    if kind not in kinds:
        raise ConfigError(f"unknown source kind {kind!r}; known: {', '.join(sorted(kinds))}")
    cls = kinds[kind]
    try:
        return cls(cls.Config.model_validate(config))
    except ValidationError as exc:
        problems = validation_problems(exc, kind)
        raise ConfigError(f"invalid config for {kind} source: {problems}") from exc
