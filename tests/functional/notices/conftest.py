"""One portal for the notice tests: ``portal-sync-api serve`` on loopback sending its mail
to a real SMTP server (aiosmtpd), school 1849 seeded afresh for each test, with a parent
login per family."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest

from cantine_harness.portal import (
    free_port,
    portal_database,
    running_portal,
)
from portal_sync_api.core.db import make_engine
from tests.support.notices_portal import NoticePortal
from tests.support.smtp import smtp_server_running


@pytest.fixture(scope="module")
def notice_portal() -> Iterator[NoticePortal]:
    with contextlib.ExitStack() as stack:
        smtp = stack.enter_context(smtp_server_running())
        database_url = stack.enter_context(portal_database())
        port = free_port()
        env = {
            "PORTAL_SMTP_HOST": smtp.host,
            "PORTAL_SMTP_PORT": str(smtp.port),
            "PORTAL_SMTP_SECURITY": "none",
            "PORTAL_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "PORTAL_MAIL_DIR": "",
        }
        portal = stack.enter_context(
            running_portal(database_url, port=port, env=env, migrate_first=False)
        )
        engine = make_engine(database_url)
        stack.callback(engine.dispose)
        yield NoticePortal(portal, smtp, engine)


@pytest.fixture
def notices(notice_portal: NoticePortal) -> NoticePortal:
    """The module's portal with school 1849 seeded afresh."""
    notice_portal.reseed()
    return notice_portal
