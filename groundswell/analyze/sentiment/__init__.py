"""Three-class sentiment (negative / neutral / positive) for Chinese and English posts.

`load_analyzer(backend)` gives an analyzer from the one backend registry
("builtin", "lexicon", "onnx", plus entry-point plugins); `train.train_sentiment`
rebuilds the built-in model. See docs/analysis/sentiment.md.
"""

from groundswell.analyze.sentiment.base import (
    Sentiment,
    SentimentAnalyzer,
    backend_names,
    load_analyzer,
)

__all__ = ["Sentiment", "SentimentAnalyzer", "backend_names", "load_analyzer"]
