"""Scores for a clustering against gold classes: B-cubed precision/recall/F1 and NMI.

B-cubed (Bagga & Baldwin 1998; Amigó et al. 2009) averages over items: an
item's precision is the share of its cluster that shares its gold class, its
recall the share of its gold class that shares its cluster. It punishes both
splitting and merging and, unlike purity, cannot be gamed by singletons. F1 is
the harmonic mean of the two averages. Computed from the contingency table,
so it is O(n), not O(n^2).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from sklearn.metrics import normalized_mutual_info_score

__all__ = ["ClusteringScores", "bcubed", "score_clustering"]


@dataclass(frozen=True, slots=True)
class ClusteringScores:
    bcubed_precision: float
    bcubed_recall: float
    bcubed_f1: float
    nmi: float


def bcubed(predicted: Sequence[Hashable], gold: Sequence[Hashable]) -> tuple[float, float, float]:
    """(precision, recall, F1) of `predicted` cluster labels against `gold` classes."""
    if len(predicted) != len(gold):
        raise ValueError(f"{len(predicted)} predicted labels for {len(gold)} gold labels")
    n = len(gold)
    if n == 0:
        raise ValueError("no items to score")
    pairs = Counter(zip(predicted, gold, strict=True))
    cluster_sizes = Counter(predicted)
    class_sizes = Counter(gold)
    # Each of the `count` items in cell (c, g) has precision count/|c| and recall count/|g|.
    precision = sum(count * count / cluster_sizes[c] for (c, _), count in pairs.items()) / n
    recall = sum(count * count / class_sizes[g] for (_, g), count in pairs.items()) / n
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def score_clustering(predicted: Sequence[Hashable], gold: Sequence[Hashable]) -> ClusteringScores:
    precision, recall, f1 = bcubed(predicted, gold)
    nmi = float(normalized_mutual_info_score([str(g) for g in gold], [str(p) for p in predicted]))
    return ClusteringScores(precision, recall, f1, nmi)
