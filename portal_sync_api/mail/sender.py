"""Delivering the outbox: claim due rows one by one, send, record the outcome.

Several senders may run at once (one per uvicorn worker, plus ``mail send`` by hand):
a row is taken by one conditional ``UPDATE`` (still due, not leased) that only one of
them can win, and the winner's later updates require its claim token. A sender that dies
mid-send leaves a lease that expires after ``LEASE``; the row is then taken again (that
mail may arrive twice, with the same ``Message-ID``; none is ever lost).

Logs name the row id, never the address.
"""

from __future__ import annotations

import logging
import random
import secrets
import smtplib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Engine, and_, or_, select, update
from sqlalchemy.orm import Session

from portal_sync_api.core.config import Settings
from portal_sync_api.mail.models import FAILED, PENDING, SENDING, SENT, OutboxMail
from portal_sync_api.mail.outbox import mail_queued, stamp, utcnow
from portal_sync_api.mail.transports import (
    PermanentFailure,
    Transport,
    build_message,
    transport_from_settings,
)

log = logging.getLogger(__name__)

#: Attempts before a mail is given up as ``failed`` (about 4 hours of retries).
MAX_ATTEMPTS = 10
#: Wait after the first failure; doubled after each next one...
FIRST_RETRY = timedelta(minutes=1)
#: ...up to this.
MAX_RETRY = timedelta(hours=1)
#: How long a claimed row is reserved for its sender (far above one SMTP exchange).
LEASE = timedelta(minutes=5)
#: Seconds between two looks at the outbox in ``serve`` and ``mail send --loop``.
POLL_SECONDS = 2.0
#: Rows read per look (each is still claimed one by one).
BATCH = 50


def retry_delay(attempts: int, *, jitter: Callable[[], float] = random.random) -> timedelta:
    """Wait after the ``attempts``-th failed attempt: 1 min, 2, 4 … capped at 1 h, each
    shortened by up to 20 % at random so senders that failed together spread out."""
    # The shift is bounded: timedelta overflows long before an int does.
    delay = min(MAX_RETRY, FIRST_RETRY * (1 << min(max(0, attempts - 1), 20)))
    return delay * (1 - 0.2 * jitter())


@dataclass
class DeliveryReport:
    """What one delivery pass did."""

    sent: int = 0
    #: Attempts that failed and were scheduled again.
    retrying: int = 0
    #: Mails given up (``failed``) during this pass.
    failed: int = 0

    @property
    def ok(self) -> bool:
        """No attempt failed during the pass."""
        return self.retrying == 0 and self.failed == 0


def _due(now: str) -> ColumnElement[bool]:
    return or_(
        and_(OutboxMail.status == PENDING, OutboxMail.next_attempt_at <= now),
        and_(OutboxMail.status == SENDING, OutboxMail.lease_until <= now),
    )


def _summary(exc: BaseException) -> str:
    # Class and SMTP code only: server replies may quote the recipient's address.
    code = getattr(exc, "smtp_code", None)
    return f"{type(exc).__name__}{f' {code}' if code else ''}"


def _detail(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        reply = exc.smtp_error
        text = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
        return f"{type(exc).__name__}: {exc.smtp_code} {text}"[:1000]
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return f"{type(exc).__name__}: {len(exc.recipients)} destinataire(s) refusé(s)"
    return f"{type(exc).__name__}: {exc}"[:1000]


class Sender:
    """Delivers due outbox rows of ``engine`` through ``transport``."""

    def __init__(
        self,
        engine: Engine,
        transport: Transport,
        *,
        mail_from: str,
        clock: Callable[[], datetime] = utcnow,
        max_attempts: int = MAX_ATTEMPTS,
        lease: timedelta = LEASE,
    ) -> None:
        self.engine = engine
        self.transport = transport
        self.mail_from = mail_from
        self.clock = clock
        self.max_attempts = max_attempts
        self.lease = lease

    def deliver_due(self, stop: threading.Event | None = None) -> DeliveryReport:
        """Send every row due now (pending and due, or leased past its lease); when
        ``stop`` is set, return after the mail being sent."""
        report = DeliveryReport()
        while stop is None or not stop.is_set():
            now = stamp(self.clock())
            with Session(self.engine) as session:
                ids = session.scalars(
                    select(OutboxMail.id)
                    .where(_due(now))
                    .order_by(OutboxMail.next_attempt_at, OutboxMail.id)
                    .limit(BATCH)
                ).all()
            if not ids:
                return report
            for mail_id in ids:
                if stop is not None and stop.is_set():
                    break
                claimed = self._claim(mail_id)
                if claimed is not None:
                    self._send(*claimed, report)
        return report

    def _claim(self, mail_id: int) -> tuple[OutboxMail, str] | None:
        now = self.clock()
        token = secrets.token_hex(16)
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            won = (
                session.connection()
                .execute(
                    update(OutboxMail)
                    .where(OutboxMail.id == mail_id, _due(stamp(now)))
                    .values(
                        status=SENDING,
                        claim_token=token,
                        lease_until=stamp(now + self.lease),
                        attempts=OutboxMail.attempts + 1,
                    )
                )
                .rowcount
            )
            if won != 1:  # another sender took it first
                return None
            return session.get_one(OutboxMail, mail_id), token

    def _send(self, mail: OutboxMail, token: str, report: DeliveryReport) -> None:
        try:
            self.transport.send(build_message(mail, mail_from=self.mail_from))
        except Exception as exc:  # any failure leaves the row to retry, never lost
            given_up = isinstance(exc, PermanentFailure) or mail.attempts >= self.max_attempts
            later = self.clock() + retry_delay(mail.attempts)
            self._finish(
                mail.id,
                token,
                status=FAILED if given_up else PENDING,
                next_attempt_at=stamp(later),
                last_error=_detail(exc),
            )
            if given_up:
                report.failed += 1
                log.error(
                    "mail %d given up after %d attempt(s): %s",
                    mail.id,
                    mail.attempts,
                    _summary(exc),
                )
            else:
                report.retrying += 1
                log.warning(
                    "mail %d attempt %d failed (%s), next at %s",
                    mail.id,
                    mail.attempts,
                    _summary(exc),
                    stamp(later),
                )
            return
        self._finish(mail.id, token, status=SENT, sent_at=stamp(self.clock()), last_error=None)
        report.sent += 1
        log.info("mail %d sent via %s", mail.id, self.transport.describe())

    def _finish(self, mail_id: int, token: str, **values: object) -> None:
        with Session(self.engine) as session, session.begin():
            done = (
                session.connection()
                .execute(
                    update(OutboxMail)
                    .where(OutboxMail.id == mail_id, OutboxMail.claim_token == token)
                    .values(claim_token=None, lease_until=None, **values)
                )
                .rowcount
            )
        if done != 1:
            log.warning("mail %d: lease lost before its outcome was recorded", mail_id)


def run_sender(
    sender: Sender,
    stop: threading.Event,
    *,
    poll: float = POLL_SECONDS,
    wake: threading.Event = mail_queued,
) -> None:
    """Deliver due mail until ``stop`` is set: at once, then every ``poll`` seconds or as
    soon as ``wake`` is set (a transaction of this process queued mail)."""
    while not stop.is_set():
        try:
            sender.deliver_due(stop)
        except Exception:  # the database may be briefly away; try again next round
            log.exception("mail sender: delivery pass failed")
        wake.wait(poll)
        wake.clear()


class SenderThread(threading.Thread):
    """``run_sender`` in a daemon thread, with ``stop()`` for a clean shutdown."""

    def __init__(self, sender: Sender, *, poll: float = POLL_SECONDS) -> None:
        super().__init__(name="mail-sender", daemon=True)
        self.sender = sender
        self.poll = poll
        self._stop_requested = threading.Event()

    def run(self) -> None:
        """Deliver until stopped."""
        run_sender(self.sender, self._stop_requested, poll=self.poll)

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the thread to end after the mail it is sending, and wait up to ``timeout``."""
        self._stop_requested.set()
        mail_queued.set()  # interrupts the wait between two passes
        self.join(timeout)


def start_sender(engine: Engine, settings: Settings) -> SenderThread | None:
    """A running sender thread for ``settings``' transport, or ``None`` (logged) when no
    transport is configured: mails then stay queued."""
    transport = transport_from_settings(settings)
    if transport is None:
        log.warning(
            "mail: no transport configured (PORTAL_SMTP_HOST or PORTAL_MAIL_DIR); "
            "e-mails stay queued"
        )
        return None
    thread = SenderThread(Sender(engine, transport, mail_from=settings.mail_from))
    thread.start()
    log.info("mail: sender started, delivering to %s", transport.describe())
    return thread
