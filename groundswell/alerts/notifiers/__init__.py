"""Notification channels: one small class per channel, all in one registry.

`build_notifier(kind, config)` makes one from configuration; `notifier_kinds()`
lists built-ins and `groundswell.notifiers` entry-point plugins.
"""

from __future__ import annotations

from groundswell.alerts.notifiers.base import (
    NOTIFIERS,
    DeliveryError,
    DeliveryReceipt,
    Notifier,
    NotifierConfig,
    build_notifier,
    notifier_kinds,
    register,
)

__all__ = [
    "NOTIFIERS",
    "DeliveryError",
    "DeliveryReceipt",
    "Notifier",
    "NotifierConfig",
    "build_notifier",
    "notifier_kinds",
    "register",
]
