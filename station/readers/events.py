"""What every reader produces; works without a UI."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from station.core.models import Source


@dataclass(frozen=True)
class ScanEvent:
    """One code read by one reader.

    ``code`` is the raw text as the hardware gave it, before card parsing (the engine
    parses it, so garbage still reaches the rules and is refused as ``unreadable``).
    ``reader`` is the name of the ``[[readers]]`` entry that read it.
    """

    code: str
    source: Source | str
    at: datetime
    reader: str
