"""The periodic notice pass inside ``serve``: relances that fall due and QF tariffs that
start or expire (``crud.notices.run_pass``), at start and then every ``PASS_SECONDS``."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Engine

from portal_sync_api.core.db import session_scope
from portal_sync_api.crud.notices import run_pass

log = logging.getLogger(__name__)

#: Seconds between two passes: relances are counted in days, a QF changes at midnight.
PASS_SECONDS = 3600.0


def utcnow() -> datetime:
    return datetime.now(UTC)


class NoticePassThread(threading.Thread):
    """Runs the notice pass on ``engine`` until :meth:`stop`; ``clock`` gives the pass's
    instant (tests move it)."""

    def __init__(
        self,
        engine: Engine,
        *,
        interval: float = PASS_SECONDS,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        super().__init__(name="notice-pass", daemon=True)
        self.engine = engine
        self.interval = interval
        self.clock = clock
        self._stop_requested = threading.Event()

    def run_once(self) -> None:
        """One pass in its own transaction; a failure is logged and retried next time."""
        try:
            with session_scope(self.engine) as session:
                report = run_pass(session, now=self.clock())
            if report.relances or report.categories:
                log.info(
                    "notice pass: %d relance(s) queued, %d tariff category change(s)",
                    report.relances,
                    report.categories,
                )
        except Exception:  # the database may be briefly away
            log.exception("notice pass failed")

    def run(self) -> None:
        while not self._stop_requested.is_set():
            self.run_once()
            self._stop_requested.wait(self.interval)

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the thread to end after the pass it is running, and wait up to ``timeout``."""
        self._stop_requested.set()
        self.join(timeout)
