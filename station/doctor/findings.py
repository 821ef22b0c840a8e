"""What a doctor check reports; works without a UI."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from station.core.config import StationConfig


class Level(StrEnum):
    """How bad a finding is: only ``BLOCKING`` stops the line from serving."""

    OK = "ok"
    WARNING = "attention"
    BLOCKING = "bloquant"


@dataclass(frozen=True)
class Finding:
    """One check's outcome: what was checked, what was found, and the fix (French).

    ``code`` is a stable English identifier (``database.mode``, ``portal.token``…) that
    docs/operations.md lists with what to do.
    """

    check: str
    level: Level
    detail: str
    fix: str = ""
    code: str = ""


Check = Callable[[StationConfig], list[Finding]]
