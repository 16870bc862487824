"""How a batch flows: normalise, then store posts and quarantine in one transaction.

Stages are functions over a batch and idempotent (storing the same batch twice
adds nothing), so the same code runs in-process and on distributed workers.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine

from groundswell.metrics import INGEST_SECONDS
from groundswell.models import RawItem, Rejected
from groundswell.normalize.post import Normaliser
from groundswell.store.posts import StoreResult, store_posts, store_rejected


def ingest(
    engine: Engine,
    normaliser: Normaliser,
    source_id: int,
    items: list[RawItem],
    rejected: list[Rejected] | None = None,
    *,
    collected_at: datetime | None = None,
) -> StoreResult:
    """Normalise `items` from one source and store them; bad items go to quarantine."""
    with INGEST_SECONDS.time():
        return _ingest(engine, normaliser, source_id, items, rejected, collected_at)


def _ingest(
    engine: Engine,
    normaliser: Normaliser,
    source_id: int,
    items: list[RawItem],
    rejected: list[Rejected] | None,
    collected_at: datetime | None,
) -> StoreResult:
    posts, bad = normaliser.normalise(items, source_id, collected_at)
    bad = [*(rejected or []), *bad]
    for item in bad:
        item.source_id = source_id
    with engine.begin() as conn:
        result = store_posts(conn, posts)
        result.quarantined = store_rejected(conn, bad)
    return result
