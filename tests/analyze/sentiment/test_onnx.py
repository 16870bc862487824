"""The ONNX backend's clear errors (onnxruntime is an optional extra, absent here)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from groundswell.analyze.sentiment import load_analyzer
from groundswell.analyze.sentiment.onnx import read_labels
from groundswell.errors import ConfigError


def test_needs_a_path() -> None:
    with pytest.raises(ConfigError, match="needs path"):
        load_analyzer("onnx")


def test_missing_folder_and_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_analyzer("onnx", path=tmp_path / "nowhere")
    with pytest.raises(ConfigError, match=r"lacks model\.onnx"):
        load_analyzer("onnx", path=tmp_path)


def test_labels_from_either_file(tmp_path: Path) -> None:
    (tmp_path / "labels.txt").write_text("Negative\nNeutral\nPositive\n", encoding="utf-8")
    assert read_labels(tmp_path) == ["negative", "neutral", "positive"]
    (tmp_path / "labels.txt").unlink()
    config = {"id2label": {"1": "neu", "0": "neg", "2": "pos"}}
    (tmp_path / "config.json").write_text(json.dumps(config), encoding="utf-8")
    assert read_labels(tmp_path) == ["negative", "neutral", "positive"]
    config = {"id2label": {"0": "LABEL_0", "1": "LABEL_1"}}
    (tmp_path / "config.json").write_text(json.dumps(config), encoding="utf-8")
    with pytest.raises(ConfigError, match="LABEL_0"):
        read_labels(tmp_path)


@pytest.mark.skipif(
    importlib.util.find_spec("onnxruntime") is not None, reason="onnxruntime is installed"
)
def test_missing_runtime_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "model.onnx").write_bytes(b"\x08\x01")
    (tmp_path / "tokenizer.json").write_text("{}", encoding="utf-8")
    (tmp_path / "labels.txt").write_text("negative\nneutral\npositive\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="onnxruntime"):
        load_analyzer("onnx", path=tmp_path)
