"""Training: reproducible, better than chance on held-out posts, and corrections take effect."""

from __future__ import annotations

import csv
import io
import itertools
from pathlib import Path

import pytest

from groundswell.analyze.sentiment import load_analyzer
from groundswell.analyze.sentiment.train import read_labelled, train_sentiment
from groundswell.errors import ConfigError
from groundswell.evaluate.sentiment import scores

DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"
SMALL = {
    "zh/weibo_smp2020_virus_train.csv": (0, 900),
    "zh/nlpcc2014_reviews.csv": (0, 300),
    "en/tweeteval_val.csv": (0, 900),
}


def _rows(path: Path, start: int, stop: int) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(itertools.islice(csv.DictReader(handle), start, stop))


def _small_data(root: Path) -> Path:
    """A copy of the first rows of a few real files, laid out like ../shared/data."""
    for name, (start, stop) in SMALL.items():
        target = root / "sentiment" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=["text", "label"])
            writer.writeheader()
            for row in _rows(DATA / "sentiment" / name, start, stop):
                writer.writerow({"text": row["text"], "label": row["label"]})
    return root


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = _small_data(tmp_path_factory.mktemp("data"))
    model = tmp_path_factory.mktemp("model") / "model.npz"
    train_sentiment(model, data_dir=root, out=io.StringIO(), heldout=False)
    return root, model


def test_reproducible(trained: tuple[Path, Path], tmp_path: Path) -> None:
    root, model = trained
    again = tmp_path / "model.npz"
    train_sentiment(again, data_dir=root, out=io.StringIO(), heldout=False)
    assert again.read_bytes() == model.read_bytes()


def test_better_than_chance_on_posts_it_never_saw(trained: tuple[Path, Path]) -> None:
    _, model = trained
    analyzer = load_analyzer("builtin", path=model)
    for path, lang in (
        (DATA / "sentiment" / "zh" / "weibo_smp2020_virus_eval.csv", "zh"),
        (DATA / "sentiment" / "en" / "tweeteval_val.csv", "en"),
    ):
        texts, gold = read_labelled(path)
        texts, gold = texts[1500:2000], gold[1500:2000]  # past the rows trained on
        predicted = [r.label for r in analyzer.analyze(texts, [lang] * len(texts))]
        assert scores(gold, predicted)["macro_f1"] > 0.45, path.name


def test_a_correction_changes_the_next_model(trained: tuple[Path, Path], tmp_path: Path) -> None:
    root, model = trained
    before = load_analyzer("builtin", path=model)
    texts, _ = read_labelled(DATA / "sentiment" / "zh" / "weibo_smp2020_virus_eval.csv")
    en_texts, _ = read_labelled(DATA / "sentiment" / "en" / "tweeteval_val.csv")
    posts = [texts[0], en_texts[1999]]  # neither is in the small training data
    old = before.analyze(posts)
    # Each analyst picks a label the old model did not give.
    wanted = ["negative" if r.label != "negative" else "positive" for r in old]
    corrected = tmp_path / "model.npz"
    train_sentiment(
        corrected,
        data_dir=root,
        corrections=list(zip(posts, wanted, strict=True)),
        out=io.StringIO(),
        heldout=False,
    )
    after = load_analyzer("builtin", path=corrected)
    assert [r.label for r in after.analyze(posts)] == wanted
    variants = [p + " 。" if i == 0 else p + " !" for i, p in enumerate(posts)]
    assert [r.label for r in after.analyze(variants)] == wanted
    # Retrained in place without the corrections: a new load sees the new file.
    train_sentiment(corrected, data_dir=root, out=io.StringIO(), heldout=False)
    assert load_analyzer("builtin", path=corrected).analyze(posts) == old


def test_bad_training_input(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no sentiment data"):
        train_sentiment(tmp_path / "m.npz", data_dir=tmp_path, out=io.StringIO())
    with pytest.raises(ConfigError, match="unknown labels"):
        train_sentiment(
            tmp_path / "m.npz", data_dir=DATA, corrections=[("好", "good")], out=io.StringIO()
        )
