"""Fixtures of the mail tests: a clock the test moves, and no mail settings from the shell
(the portal database, ``portal_db``/``engine``, is the shared one)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.mail_queue import Clock


@pytest.fixture
def clock() -> Clock:
    """A clock following the real time until the test moves it forward."""
    return Clock()


@pytest.fixture(autouse=True)
def _no_mail_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The mail settings come from each test, never from the shell that runs them."""
    for name in (
        "PORTAL_PUBLIC_URL",
        "PORTAL_SMTP_HOST",
        "PORTAL_SMTP_PORT",
        "PORTAL_SMTP_SECURITY",
        "PORTAL_SMTP_USER",
        "PORTAL_SMTP_PASSWORD",
        "PORTAL_SMTP_CA_FILE",
        "PORTAL_MAIL_FROM",
        "PORTAL_MAIL_DIR",
    ):
        monkeypatch.delenv(name, raising=False)
    yield
