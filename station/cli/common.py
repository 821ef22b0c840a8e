"""Helpers shared by the CLI commands: opening the line, parsing ``--at``, JSON output."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from station.core.config import StationConfig
from station.core.errors import ConfigError
from station.core.timeutil import parse_instant, zone
from station.engine import ServingLine
from station.store import Store


def school_zone(config: StationConfig) -> ZoneInfo:
    return zone(config.station.timezone)


def open_line(config: StationConfig) -> ServingLine:
    """The engine on the configured database (created and migrated when new)."""
    store = Store(config.station.database)
    return ServingLine(
        store,
        station=config.station.name,
        school=config.station.school,
        timezone=school_zone(config),
    )


def parse_at(text: str | None, tz: ZoneInfo) -> datetime | None:
    """``--at`` as an aware datetime (naive means school time); a ConfigError when invalid."""
    if text is None:
        return None
    try:
        return parse_instant(text, tz)
    except ValueError as e:
        raise ConfigError(f"--at : date et heure ISO-8601 attendues, reçu {text!r}") from e


def emit_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False) + "\n")
    sys.stdout.flush()
