"""Backtesting a query on stored posts before saving it as a scheme."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from groundswell.analyze.backtest import backtest_query
from groundswell.context import Desk
from groundswell.errors import QueryError
from groundswell.models import RawItem
from groundswell.store.sources import add_source

NOW = datetime(2026, 8, 10, 12, 0, tzinfo=UTC)
TEXTS = [
    "Flood warning issued for the river district",
    "洪水预警：河区发布洪水橙色预警",
    "Sunny weekend ahead, no rain expected",
    "The flooding closed two roads",
    "Old flood story from last month",
]


def test_counts_matches_per_day_with_a_sample(desk: Desk) -> None:
    with desk.engine.begin() as conn:
        source = add_source(conn, "news", "push", {"token": "t" * 20})
    ages = [1, 2, 2, 3, 40]  # days; the last is outside a 7-day backtest
    desk.pipeline.ingest(
        source.id,
        [
            RawItem(raw={}, external_id=str(i), text=t, published_at=NOW - timedelta(days=d))
            for i, (t, d) in enumerate(zip(TEXTS, ages, strict=True))
        ],
    )
    with desk.engine.connect() as conn:
        result = backtest_query(conn, "flood* OR 洪水", days=7, now=NOW)
        assert result.scanned == 4
        assert result.matched == 3
        assert sum(result.per_day.values()) == 3
        assert {tuple(s["terms"]) for s in result.sample} >= {("洪水",)}
        with pytest.raises(QueryError):
            backtest_query(conn, "flood AND", now=NOW)
        capped = backtest_query(conn, "flood*", days=7, max_scan=2, now=NOW)
        assert capped.scanned == 2 and not capped.complete
