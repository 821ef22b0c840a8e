"""Time zones and ISO-8601 handling; works without a UI."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def zone(name: str) -> ZoneInfo:
    """The IANA zone ``name``; raises ``ValueError`` with the name when unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise ValueError(f"fuseau horaire inconnu : {name!r}") from e


def parse_instant(text: str, tz: ZoneInfo) -> datetime:
    """Parse an ISO-8601 datetime; a naive one is taken in the school's zone ``tz``."""
    value = datetime.fromisoformat(text.strip())
    return value.replace(tzinfo=tz) if value.tzinfo is None else value


def local(at: datetime, tz: ZoneInfo) -> datetime:
    """``at`` seen in the school's zone."""
    return at.astimezone(tz)


def business_date(at: datetime, tz: ZoneInfo) -> date:
    """The school's calendar day at instant ``at``."""
    return at.astimezone(tz).date()


def iso(at: datetime) -> str:
    """ISO-8601 with offset, to the second (milliseconds when present)."""
    return at.isoformat(timespec="milliseconds" if at.microsecond else "seconds")
