"""Queueing test mail and reading the portal's mail outbox, and the clock the mail tests
move forward (plain helpers, no fixtures)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

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
