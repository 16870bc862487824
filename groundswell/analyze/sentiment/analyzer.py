"""The "builtin" backend: the linear models shipped in `data/model.npz`.

Posts are grouped by model language and scored in one sparse product per
group. The analyzer pickles as its model path only, and a worker process loads
each model file once (cached), so a process pool pays the load once per worker.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from groundswell.analyze.sentiment.base import Sentiment, languages, model_language
from groundswell.analyze.sentiment.model import LABELS, LanguageModel, load_models
from groundswell.errors import ConfigError

__all__ = ["DEFAULT_MODEL", "BuiltinSentimentAnalyzer", "builtin_analyzer"]

DEFAULT_MODEL = Path(__file__).parent / "data" / "model.npz"
# A post with no usable character gets this: neutral, and no more sure than chance.
EMPTY = Sentiment("neutral", round(1 / 3, 4))


def _models(path: Path) -> dict[str, LanguageModel]:
    """The models in `path`, loaded once per process and again only when the file changes."""
    if not path.is_file():
        raise ConfigError(f"sentiment model file not found: {path}")
    stat = path.stat()
    return _cached_models(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=4)
def _cached_models(path: Path, mtime_ns: int, size: int) -> dict[str, LanguageModel]:
    del mtime_ns, size  # cache key only: a retrained file is a new entry
    models = load_models(path)
    missing = {"zh", "en"} - set(models)
    if missing:
        raise ConfigError(f"sentiment model {path} lacks languages {sorted(missing)}")
    return models


class BuiltinSentimentAnalyzer:
    """Three-class sentiment for Chinese and English from the shipped linear models."""

    name = "builtin"

    def __init__(self, path: Path = DEFAULT_MODEL) -> None:
        self.path = Path(path).resolve()
        self.models = _models(self.path)

    def __reduce__(self) -> tuple[type, tuple[Path]]:
        return (type(self), (self.path,))

    def analyze(self, texts: Sequence[str], langs: Sequence[str] | None = None) -> list[Sentiment]:
        """One Sentiment per text, in order."""
        texts = [t if isinstance(t, str) else "" for t in texts]
        langs = languages(texts, langs)
        results: list[Sentiment] = [EMPTY] * len(texts)
        groups: dict[str, list[int]] = {"zh": [], "en": []}
        for i, (text, lang) in enumerate(zip(texts, langs, strict=True)):
            if text.strip():
                groups[model_language(text, lang)].append(i)
        for lang, rows in groups.items():
            if not rows:
                continue
            probabilities = self.models[lang].probabilities([texts[i] for i in rows])
            best = probabilities.argmax(axis=1)
            for i, k, p in zip(rows, best, probabilities, strict=True):
                results[i] = Sentiment(LABELS[k], round(float(p[k]), 4))
        return results


def builtin_analyzer(path: Path | None) -> BuiltinSentimentAnalyzer:
    """Registry factory: the shipped model, or a model file written by `train_sentiment`."""
    return BuiltinSentimentAnalyzer(path or DEFAULT_MODEL)
