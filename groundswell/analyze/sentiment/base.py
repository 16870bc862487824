"""The sentiment result type, the analyzer protocol and the one backend registry.

Backends are factories `(path: Path | None) -> SentimentAnalyzer`, registered by
name: the built-ins ("builtin", "lexicon", "onnx") and third-party plugins from
the `groundswell.sentiment` entry-point group live in the same registry. A
plugin that fails to load raises ConfigError; it is never skipped silently.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import import_module
from importlib.metadata import entry_points
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

from groundswell.analyze.language import detect_language
from groundswell.errors import ConfigError

__all__ = [
    "BUILTIN_BACKENDS",
    "ENTRY_POINT_GROUP",
    "Label",
    "Sentiment",
    "SentimentAnalyzer",
    "backend_names",
    "languages",
    "load_analyzer",
    "model_language",
]

Label = Literal["negative", "neutral", "positive"]
Factory = Callable[[Path | None], "SentimentAnalyzer"]

BUILTIN_BACKENDS = {
    "builtin": "groundswell.analyze.sentiment.analyzer:builtin_analyzer",
    "lexicon": "groundswell.analyze.sentiment.lexicon:lexicon_analyzer",
    "onnx": "groundswell.analyze.sentiment.onnx:onnx_analyzer",
}
ENTRY_POINT_GROUP = "groundswell.sentiment"
_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


@dataclass(frozen=True, slots=True)
class Sentiment:
    """One post's sentiment: the label and how sure the backend is (0..1)."""

    label: Label
    confidence: float


@runtime_checkable
class SentimentAnalyzer(Protocol):
    """What every backend provides: a name and one batch method."""

    name: str

    def analyze(
        self, texts: Sequence[str], langs: Sequence[str] | None = None
    ) -> list[Sentiment]: ...


def languages(texts: Sequence[str], langs: Sequence[str] | None) -> list[str]:
    """The given languages, or detect_language per post; lengths must match."""
    if langs is None:
        return [detect_language(t) for t in texts]
    if len(langs) != len(texts):
        raise ValueError(f"{len(texts)} texts but {len(langs)} languages")
    return list(langs)


def model_language(text: str, lang: str) -> str:
    """Which per-language model reads a post: "other" goes to zh when it has Han, else en."""
    if lang in ("zh", "en"):
        return lang
    return "zh" if _HAN.search(text[:1000]) else "en"


def _load_spec(spec: str) -> Factory:
    module_name, _, attr = spec.partition(":")
    return getattr(import_module(module_name), attr)


def _factories() -> dict[str, str | Callable]:
    found: dict[str, str | Callable] = dict(BUILTIN_BACKENDS)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            found[ep.name] = ep.load()
        except Exception as exc:  # a broken plugin must be seen, not skipped
            raise ConfigError(f"sentiment plugin {ep.name!r} failed to load: {exc}") from exc
    return found


def backend_names() -> list[str]:
    """Names accepted by `load_analyzer`."""
    return sorted(_factories())


def load_analyzer(backend: str = "builtin", *, path: Path | None = None) -> SentimentAnalyzer:
    """The analyzer of `backend`; `path` is its model file or directory (None: the default)."""
    factories = _factories()
    if backend not in factories:
        raise ConfigError(
            f"unknown sentiment backend {backend!r}; known: {', '.join(sorted(factories))}"
        )
    factory = factories[backend]
    if isinstance(factory, str):
        factory = _load_spec(factory)
    return factory(Path(path) if path is not None else None)
