"""Reader test helpers: a callbacks recorder that waits for what a reader reports, and
the station config of the reader functional tests (plain helpers, no fixtures)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from station.core.errors import ReaderError
from station.readers.events import ScanEvent


@dataclass
class Collector:
    """Callbacks that record what a reader reports, with a way to wait for it."""

    scans: list[ScanEvent] = field(default_factory=list)
    errors: list[ReaderError] = field(default_factory=list)
    statuses: list[tuple[str, bool]] = field(default_factory=list)
    _changed: threading.Condition = field(default_factory=threading.Condition)

    def on_scan(self, event: ScanEvent) -> None:
        with self._changed:
            self.scans.append(event)
            self._changed.notify_all()

    def on_error(self, error: ReaderError) -> None:
        with self._changed:
            self.errors.append(error)
            self._changed.notify_all()

    def on_status(self, name: str, connected: bool) -> None:
        with self._changed:
            self.statuses.append((name, connected))
            self._changed.notify_all()

    @property
    def codes(self) -> list[str]:
        return [s.code for s in self.scans]

    def wait_for(self, condition: Callable[[], bool], timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        with self._changed:
            while not condition():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"timed out; scans={self.codes} errors={[e.message for e in self.errors]}"
                    )
                self._changed.wait(min(left, 0.05))


def write_station_config(tmp_path: Path, extra: str = "") -> Path:
    """``station.toml`` of line ``ligne-1`` (school 1849, database in ``tmp_path``) plus
    ``extra`` (``[station]`` keys first, then sections such as ``[[readers]]``)."""
    path = tmp_path / "station.toml"
    path.write_text(
        f"""
[station]
name = "ligne-1"
school = "1849"
database = "{tmp_path / "station.db"}"
{extra}
""",
        encoding="utf-8",
    )
    return path
