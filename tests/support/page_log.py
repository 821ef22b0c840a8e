"""The pages a station applied, logged as it applies them, for the crash tests.

:class:`RecordingStore` is a station store that writes each page it applies to a log
(``page`` before the transaction, ``applied`` after), so that a station killed between the
two still has its pulls accounted for (:func:`applied_pages`). Kept apart from the checks
so that the sync worker subprocess starts without importing the portal.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from station.store import Store, cache


class RecordingStore(Store):
    """A station store that logs every page it applies (JSON lines in ``log``)."""

    def __init__(self, path: Path | str, log: Path) -> None:
        super().__init__(path)
        self.log = log

    def apply_page(
        self, changes: Iterable[Mapping[str, Any]], cursor: int, own_station: str, pulled_at: str
    ) -> int:
        """Log the page (with the cursor it starts from), apply it, log that it applied."""
        changes = list(changes)
        with self.read() as conn:
            since = cache.pull_cursor(conn)
        rows = [[int(c["seq"]), str(c["kind"]), str(c["key"])] for c in changes]
        self._write({"page": since, "next": cursor, "changes": rows})
        count = super().apply_page(changes, cursor, own_station, pulled_at)
        self._write({"applied": cursor})
        return count

    def _write(self, entry: dict[str, Any]) -> None:
        with self.log.open("a", encoding="utf-8") as out:
            out.write(json.dumps(entry) + "\n")


@dataclass(frozen=True)
class PulledPage:
    """A page a station applied: its cursor before and after, and its (seq, kind, key)."""

    since: int
    next: int
    changes: list[tuple[int, str, str]]


def applied_pages(log: Path, final_cursor: int) -> list[PulledPage]:
    """The pages a station applied, in order, from its :class:`RecordingStore` log.

    A page logged without its ``applied`` line was cut by a kill: it applied if and only if
    the next pull started from its ``next`` (or, for the last one, the cursor stayed there).
    """
    pages: list[PulledPage] = []
    pending: PulledPage | None = None
    lines = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    for line in lines:
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:  # a line cut by the kill is the last one
            continue
        if "page" in entry:
            if pending is not None and int(entry["page"]) == pending.next:
                pages.append(pending)
            pending = PulledPage(
                int(entry["page"]),
                int(entry["next"]),
                [(int(s), str(k), str(key)) for s, k, key in entry["changes"]],
            )
        elif pending is not None and int(entry["applied"]) == pending.next:
            pages.append(pending)
            pending = None
    if pending is not None and final_cursor == pending.next:
        pages.append(pending)
    return pages
