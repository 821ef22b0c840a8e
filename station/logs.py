"""Logging of the station: one line per event on stderr, which journald collects.

Level from ``$STATION_LOG_LEVEL`` (``DEBUG``, ``INFO``, ``WARNING`` — the default —,
``ERROR``). Under systemd (``$JOURNAL_STREAM`` set) the line carries no timestamp:
journald adds its own. Tracebacks are folded onto the same line so one event stays one
journal entry.

Personal data rule (DESIGN §7): log ids only — child id, meal id, family id, station —
never a child's name, a card number, raw scanner input or a balance.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import TextIO

LEVEL_ENV = "STATION_LOG_LEVEL"
DEFAULT_LEVEL = "WARNING"
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class OneLineFormatter(logging.Formatter):
    """A formatter whose output never spans lines (tracebacks joined with `` | ``)."""

    def format(self, record: logging.LogRecord) -> str:
        return " | ".join(line for line in super().format(record).splitlines() if line)


def level_from_env(value: str | None = None) -> int:
    """The logging level named by ``value`` (else ``$STATION_LOG_LEVEL``); unknown → WARNING."""
    name = (value if value is not None else os.environ.get(LEVEL_ENV, "")).strip().upper()
    return int(getattr(logging, name)) if name in LEVELS else logging.WARNING


def _is_ours(handler: logging.Handler) -> bool:
    return getattr(handler, "_station_handler", False) is True


def setup(level: str | None = None, stream: TextIO | None = None) -> logging.Handler:
    """Configure the root logger once per process (calling again replaces our handler)."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if _is_ours(h)]:
        root.removeHandler(old)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler._station_handler = True  # type: ignore[attr-defined]
    under_journald = bool(os.environ.get("JOURNAL_STREAM"))
    fmt = "%(levelname)s %(name)s: %(message)s"
    handler.setFormatter(OneLineFormatter(fmt if under_journald else "%(asctime)s " + fmt))
    root.addHandler(handler)
    root.setLevel(level_from_env(level))
    return handler
