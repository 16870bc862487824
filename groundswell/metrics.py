"""Counters every stage keeps, exposed at /metrics in Prometheus format.

Labels are bounded (source names and statuses), never post or author values.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

ITEMS = Counter(
    "groundswell_items_total",
    "Items through ingest, by outcome (stored, duplicate, quarantined).",
    ["source", "outcome"],
    registry=REGISTRY,
)
RUNS = Counter(
    "groundswell_collection_runs_total",
    "Collections of a source, by status (ok, not_modified, error).",
    ["source", "status"],
    registry=REGISTRY,
)
INGEST_SECONDS = Histogram(
    "groundswell_ingest_seconds",
    "Time to normalise and store one batch.",
    registry=REGISTRY,
    buckets=(0.005, 0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30),
)


def count_ingest(source: str, stored: int, duplicates: int, quarantined: int) -> None:
    ITEMS.labels(source, "stored").inc(stored)
    ITEMS.labels(source, "duplicate").inc(duplicates)
    ITEMS.labels(source, "quarantined").inc(quarantined)


ALERTS = Counter(
    "groundswell_alerts_total",
    "Alert changes announced, by update (new, raised, escalated) and level (1-4).",
    ["update", "level"],
    registry=REGISTRY,
)
DELIVERIES = Counter(
    "groundswell_alert_deliveries_total",
    "Delivery attempts, by channel kind and outcome (sent, pending = will retry, dead).",
    ["kind", "outcome"],
    registry=REGISTRY,
)
EVALUATION_SECONDS = Histogram(
    "groundswell_alert_evaluation_seconds",
    "Time of one pass of the alert engine over newly stored posts.",
    registry=REGISTRY,
    buckets=(0.005, 0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10),
)
