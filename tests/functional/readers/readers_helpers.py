"""Callbacks recorder shared by the reader functional tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from station.errors import ReaderError
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
