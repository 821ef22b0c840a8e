"""The FastAPI lifespan hook that runs the mail sender beside the web app."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI

from portal_sync_api.core.config import Settings
from portal_sync_api.mail.notice_pass import NoticePassThread
from portal_sync_api.mail.sender import start_sender
from portal_sync_api.payments.expiry import PaymentExpiryThread


def mail_lifespan(settings: Settings) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """A lifespan starting a sender thread on ``app.state.engine`` when a transport is
    configured, and stopping it on shutdown."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        thread = start_sender(app.state.engine, settings)
        # Relances due and QF tariffs starting or expiring: queued even without a transport.
        notices = NoticePassThread(app.state.engine)
        notices.start()
        # Online payments left pending past their time: asked about once more, then expired.
        expiry = PaymentExpiryThread(app.state.engine, settings)
        expiry.start()
        try:
            yield
        finally:
            await asyncio.to_thread(notices.stop)
            await asyncio.to_thread(expiry.stop)
            if thread is not None:
                # Off the event loop: the thread may be finishing an SMTP exchange.
                await asyncio.to_thread(thread.stop)

    return lifespan
