"""Signed acknowledgement links: one click from a message, no login, not forgeable.

The signature covers the alert, the person it was sent to (0 for a group
channel) and the expiry, under a key the desk keeps in its database. Opening
the link shows a confirmation page; acknowledging is a POST, so a chat app
that previews links cannot acknowledge by accident.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime
from urllib.parse import urlencode

from sqlalchemy import Connection, select

from groundswell.errors import ConfigError
from groundswell.store.tables import meta

_KEY_NAME = "alert_link_key"


def link_key(conn: Connection) -> bytes:
    row = conn.execute(select(meta.c.value).where(meta.c.key == _KEY_NAME)).first()
    if row:
        return row[0].encode()
    key = secrets.token_hex(32)
    conn.execute(meta.insert().values(key=_KEY_NAME, value=key))
    return key.encode()


def _signature(key: bytes, alert_id: int, user_id: int, expires: int) -> str:
    digest = hmac.new(key, f"ack:{alert_id}:{user_id}:{expires}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()[:20]).decode().rstrip("=")


def ack_query(key: bytes, alert_id: int, user_id: int, expires: datetime) -> str:
    stamp = int(expires.timestamp())
    sig = _signature(key, alert_id, user_id, stamp)
    return urlencode({"u": user_id, "exp": stamp, "sig": sig})


def ack_url(base: str, key: bytes, alert_id: int, user_id: int, expires: datetime) -> str:
    return f"{base.rstrip('/')}/alerts/{alert_id}/ack?{ack_query(key, alert_id, user_id, expires)}"


def verify_ack(
    key: bytes, alert_id: int, user_id: int, expires: int, sig: str, now: datetime
) -> None:
    """Raise ConfigError when the link is forged, for another alert, or expired."""
    good = _signature(key, alert_id, user_id, expires)
    if not hmac.compare_digest(good.encode(), sig.encode()):
        raise ConfigError("this acknowledgement link is not valid")
    if now.timestamp() > expires:
        raise ConfigError("this acknowledgement link has expired; acknowledge in the desk")
