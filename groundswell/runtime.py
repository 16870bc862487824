"""Process-wide tuning for the processes that run the pipeline.

CPython's cyclic garbage collector runs a young collection every 700 net
allocations of container objects and a full one whenever the long-lived heap
has grown by a quarter. A desk keeps large, long-lived state in memory (the
repost index, the event clusterer, the models), and ingest allocates quickly,
so at the default thresholds the collector re-scanned that state again and
again: ~65 µs of the main process's ~560 µs of CPU a post in
`bench.pipeline`, almost all of it in full collections that found nothing to
free. Ingest makes little cyclic garbage (posts and rows are freed by
reference counting), so collecting less often costs a few MB at most.
"""

from __future__ import annotations

import gc

__all__ = ["GC_THRESHOLDS", "tune_garbage_collector"]

# Young collection every 10,000 net container allocations (not 700); a middle one
# every 10 young ones; a full one every 10 middle ones, and then only if the
# long-lived heap grew by a quarter (CPython's own rule, kept).
GC_THRESHOLDS = (10_000, 10, 10)


def tune_garbage_collector() -> None:
    """Raise the collector's thresholds to GC_THRESHOLDS, never lowering one already higher."""
    current = gc.get_threshold()
    gc.set_threshold(*(max(now, ours) for now, ours in zip(current, GC_THRESHOLDS, strict=True)))
