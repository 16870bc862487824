"""The "onnx" backend: a transformer the user exported to ONNX, read from a local folder.

Nothing is downloaded: the folder must hold `model.onnx`, `tokenizer.json` (a
Hugging Face `tokenizers` file) and the class names, either `labels.txt` (one
per line, in output order) or `config.json` with `id2label`. Class names are
mapped to ours case-insensitively (neg/negative/LABEL_0 style names are not
guessed: name them). onnxruntime and tokenizers are optional extras, imported
only when this backend is loaded, with a clear ConfigError when absent.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from groundswell.analyze.sentiment.base import Sentiment
from groundswell.errors import ConfigError

__all__ = ["OnnxSentimentAnalyzer", "onnx_analyzer", "read_labels"]

MAX_TOKENS = 256
BATCH = 32
_ALIASES = {
    "negative": "negative",
    "neg": "negative",
    "neutral": "neutral",
    "neu": "neutral",
    "positive": "positive",
    "pos": "positive",
}


def read_labels(folder: Path) -> list[str]:
    """Our label for each model output, from labels.txt or config.json's id2label."""
    if (folder / "labels.txt").is_file():
        names = [n.strip() for n in (folder / "labels.txt").read_text("utf-8").splitlines()]
        names = [n for n in names if n]
    elif (folder / "config.json").is_file():
        id2label = json.loads((folder / "config.json").read_text("utf-8")).get("id2label") or {}
        names = [id2label[k] for k in sorted(id2label, key=int)]
    else:
        raise ConfigError(f"{folder} has no labels.txt or config.json with id2label")
    unknown = [n for n in names if n.lower() not in _ALIASES]
    if unknown or not names:
        raise ConfigError(
            f"ONNX labels {names} in {folder}: each must be one of {sorted(_ALIASES)}"
        )
    return [_ALIASES[n.lower()] for n in names]


def _import(name: str) -> Any:
    try:
        return __import__(name)
    except ImportError as exc:
        raise ConfigError(
            f"the onnx sentiment backend needs the {name!r} package, which is not installed; "
            "install the extra with `pip install groundswell[onnx] tokenizers`"
        ) from exc


class OnnxSentimentAnalyzer:
    """Softmax over an ONNX sequence classifier's logits; confidence is the top probability."""

    name = "onnx"

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise ConfigError(f"ONNX sentiment model folder not found: {self.folder}")
        for required in ("model.onnx", "tokenizer.json"):
            if not (self.folder / required).is_file():
                raise ConfigError(f"ONNX sentiment model folder {self.folder} lacks {required}")
        self.labels = read_labels(self.folder)
        onnxruntime = _import("onnxruntime")
        tokenizers = _import("tokenizers")
        self.tokenizer = tokenizers.Tokenizer.from_file(str(self.folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.enable_padding()
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(
            str(self.folder / "model.onnx"), options, providers=["CPUExecutionProvider"]
        )
        self.inputs = {i.name for i in self.session.get_inputs()}

    def __reduce__(self) -> tuple[type, tuple[Path]]:
        return (type(self), (self.folder,))

    def _logits(self, texts: list[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(texts)
        feed = {
            "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
        }
        return self.session.run(None, {k: v for k, v in feed.items() if k in self.inputs})[0]

    def analyze(self, texts: Sequence[str], langs: Sequence[str] | None = None) -> list[Sentiment]:
        """One Sentiment per text; the model reads every language itself (langs unused)."""
        del langs
        out: list[Sentiment] = []
        for start in range(0, len(texts), BATCH):
            batch = [t[:4000] or " " for t in texts[start : start + BATCH]]
            logits = np.asarray(self._logits(batch), dtype=np.float64)
            if logits.ndim != 2 or logits.shape[1] != len(self.labels):
                raise ConfigError(
                    f"ONNX model gives logits of shape {logits.shape}; "
                    f"expected (batch, {len(self.labels)}) to match its labels"
                )
            logits -= logits.max(axis=1, keepdims=True)
            probabilities = np.exp(logits)
            probabilities /= probabilities.sum(axis=1, keepdims=True)
            for row in probabilities:
                k = int(row.argmax())
                out.append(Sentiment(self.labels[k], round(float(row[k]), 4)))  # type: ignore[arg-type]
        return out


def onnx_analyzer(path: Path | None) -> OnnxSentimentAnalyzer:
    """Registry factory: `path` is required (a local folder; nothing is downloaded)."""
    if path is None:
        raise ConfigError("the onnx sentiment backend needs path=<folder with model.onnx>")
    return OnnxSentimentAnalyzer(path)
