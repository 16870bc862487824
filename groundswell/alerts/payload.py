"""An AlertMessage as JSON, so the outbox keeps exactly what will be sent, for every retry."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from groundswell.alerts.message import AlertMessage, EvidencePost


def message_to_json(message: AlertMessage) -> dict[str, Any]:
    data = asdict(message)
    data["created_at"] = message.created_at.isoformat()
    data["posts"] = [
        {**asdict(p), "published_at": p.published_at.isoformat() if p.published_at else None}
        for p in message.posts
    ]
    return data


def message_from_json(data: dict[str, Any]) -> AlertMessage:
    posts = tuple(
        EvidencePost(
            **{
                **p,
                "published_at": datetime.fromisoformat(p["published_at"])
                if p.get("published_at")
                else None,
            }
        )
        for p in data.get("posts", ())
    )
    return AlertMessage(
        **{
            **data,
            "created_at": datetime.fromisoformat(data["created_at"]),
            "posts": posts,
        }
    )
