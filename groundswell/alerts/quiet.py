"""Quiet hours per channel: less severe alerts wait until morning; severe ones never wait.

During a special period the desk runs around the clock, so quiet hours do not apply.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from groundswell.errors import ConfigError


@dataclass(frozen=True, slots=True)
class QuietHours:
    start: time
    end: time
    timezone: str = "Asia/Shanghai"
    # Alerts at this level or more severe (lower number) are sent even in quiet hours.
    except_level: int = 2

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> QuietHours | None:
        if not data:
            return None
        try:
            quiet = cls(
                start=time.fromisoformat(str(data["start"])),
                end=time.fromisoformat(str(data["end"])),
                timezone=str(data.get("timezone", "Asia/Shanghai")),
                except_level=int(data.get("except_level", 2)),
            )
            ZoneInfo(quiet.timezone)
        except (KeyError, ValueError, TypeError, ZoneInfoNotFoundError) as exc:
            raise ConfigError(
                'quiet_hours needs {"start": "HH:MM", "end": "HH:MM", "timezone": "Area/City", '
                f'"except_level": 1-4}}: {exc}'
            ) from None
        if quiet.start == quiet.end:
            raise ConfigError("quiet_hours start and end are the same")
        return quiet

    def to_json(self) -> dict[str, Any]:
        return {
            "start": self.start.strftime("%H:%M"),
            "end": self.end.strftime("%H:%M"),
            "timezone": self.timezone,
            "except_level": self.except_level,
        }

    def hold_until(self, now: datetime, level: int) -> datetime | None:
        """When a message of `level` may go, if it must wait; None to send now."""
        if level <= self.except_level:
            return None
        zone = ZoneInfo(self.timezone)
        local = now.astimezone(zone)
        clock = local.time()
        if self.start < self.end:
            quiet = self.start <= clock < self.end
        else:  # over midnight, e.g. 22:00-07:00
            quiet = clock >= self.start or clock < self.end
        if not quiet:
            return None
        end = local.replace(hour=self.end.hour, minute=self.end.minute, second=0, microsecond=0)
        if end <= local:
            end += timedelta(days=1)
        return end.astimezone(now.tzinfo)
