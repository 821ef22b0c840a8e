"""Fixtures of the mail tests: a database per test on SQLite (and PostgreSQL), a clock the
test moves, and helpers to queue mail and read the outbox."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from portal_sync_api.core.db import session_scope
from portal_sync_api.mail import queue_mail
from portal_sync_api.mail.models import OutboxMail

SUBJECT = "Essai d'envoi — portail de la cantine"


class Clock:
    """The real time plus an offset the test moves forward (mail queued by the code
    under test is stamped with the real time)."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, delta: timedelta) -> None:
        """Move the clock ``delta`` ahead of the real time."""
        self.offset += delta


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


def queue(engine: Engine, to: str = "parent@example.fr", name: str = "Zoé") -> int:
    """Queue one ``test_message`` mail to ``to`` in its own committed transaction."""
    with session_scope(engine) as session:
        return queue_mail(
            session, to=to, subject=SUBJECT, template="test_message", context={"name": name}
        )


def outbox(engine: Engine) -> list[OutboxMail]:
    """Every outbox row, by id."""
    with session_scope(engine) as session:
        return list(session.scalars(select(OutboxMail).order_by(OutboxMail.id)))
