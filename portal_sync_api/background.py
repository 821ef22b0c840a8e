"""The portal's background work: the mail sender, the notice pass and the expiry of online
payments left pending.

One portal runs it once. A single process (``serve``, the tests' app) runs it beside the
web app through :func:`lifespan`; ``serve --workers N`` runs it in the supervising process
(:func:`running`) and starts its workers with ``PORTAL_BACKGROUND_TASKS=off``, so a mail is
never picked up by two senders and a relance is never queued by two passes at once.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager

from fastapi import FastAPI
from sqlalchemy import Engine

from portal_sync_api.core.config import Settings
from portal_sync_api.mail.notice_pass import NoticePassThread
from portal_sync_api.mail.sender import SenderThread, start_sender
from portal_sync_api.payments.expiry import PaymentExpiryThread

log = logging.getLogger(__name__)


class BackgroundWork:
    """The background threads on ``engine``: started by :meth:`start`, stopped (each
    finishing what it is doing) by :meth:`stop`."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings
        self.sender: SenderThread | None = None
        # Relances due and QF tariffs starting or expiring: queued even without a transport.
        self.notices = NoticePassThread(engine)
        # Online payments left pending past their time: asked about once more, then expired.
        self.expiry = PaymentExpiryThread(engine, settings)

    def start(self) -> None:
        self.sender = start_sender(self.engine, self.settings)
        self.notices.start()
        self.expiry.start()

    def stop(self) -> None:
        self.notices.stop()
        self.expiry.stop()
        if self.sender is not None:
            self.sender.stop()  # may be finishing an SMTP exchange


@contextmanager
def running(engine: Engine, settings: Settings) -> Iterator[BackgroundWork]:
    """The background work running for the duration of the block."""
    work = BackgroundWork(engine, settings)
    work.start()
    try:
        yield work
    finally:
        work.stop()


@contextmanager
def frozen_startup_heap() -> Iterator[None]:
    """Keep what start-up built (modules, the app, SQLAlchemy's mappers) out of the cyclic
    garbage collector's sight while the app serves: it lives as long as the app, yet every
    full collection scanned it — some 330 000 objects, a pause of about 200 ms stopping
    every request of the worker at once, the tail of its latencies under load. Garbage is
    collected first, so only live objects are frozen; what requests allocate is collected
    as before; on the way out they are handed back (a test process starts many apps)."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def lifespan(settings: Settings) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """A FastAPI lifespan running the background work on ``app.state.engine``, unless
    ``settings.background_tasks`` is off (a worker of ``serve --workers N``)."""

    @asynccontextmanager
    async def run(app: FastAPI) -> AsyncIterator[None]:
        with frozen_startup_heap():
            if not settings.background_tasks:
                log.info("background work: run by the supervising process, not this worker")
                yield
                return
            work = BackgroundWork(app.state.engine, settings)
            work.start()
            try:
                yield
            finally:
                await asyncio.to_thread(work.stop)  # off the event loop

    return run
