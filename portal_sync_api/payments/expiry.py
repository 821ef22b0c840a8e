"""The periodic expiry of online payments inside ``serve``: pending payments past
``PORTAL_PAYMENT_PENDING_MINUTES`` are asked about once more at the provider, then marked
expired (``crud.payments.expire_due``), every ``EXPIRY_SECONDS``. Pages and the API also
run it for a family when they read its payments; this pass covers families nobody looks at.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from portal_sync_api.core.config import Settings
from portal_sync_api.crud.payments import expire_due
from portal_sync_api.payments.factory import provider_from_settings

log = logging.getLogger(__name__)

#: Seconds between two passes (a payment expires after an hour by default).
EXPIRY_SECONDS = 300.0


def utcnow() -> datetime:
    return datetime.now(UTC)


class PaymentExpiryThread(threading.Thread):
    """Expires pending payments on ``engine`` until :meth:`stop`."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        *,
        interval: float = EXPIRY_SECONDS,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        super().__init__(name="payment-expiry", daemon=True)
        self.engine = engine
        self.provider = provider_from_settings(settings)
        self.interval = interval
        self.clock = clock
        self._stop_requested = threading.Event()

    def run_once(self) -> int:
        """One pass; a failure is logged and retried next time. Returns how many expired."""
        try:
            with Session(self.engine) as session:
                expired = expire_due(session, provider=self.provider, now=self.clock())
        except Exception:  # the database or the provider may be briefly away
            log.exception("payment expiry pass failed")
            return 0
        if expired:
            log.info("payment expiry: %d payment(s) expired", expired)
        return expired

    def run(self) -> None:
        while not self._stop_requested.wait(self.interval):
            self.run_once()

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the thread to end after the pass it is running, and wait up to ``timeout``."""
        self._stop_requested.set()
        self.join(timeout)
