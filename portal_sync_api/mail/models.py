"""The mail outbox table: one row per e-mail, written in the transaction that causes it."""

from __future__ import annotations

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal_sync_api.models import Base

#: Waiting for its first or next attempt (``next_attempt_at``).
PENDING = "pending"
#: Claimed by a sender until ``lease_until``; taken again once the lease has expired.
SENDING = "sending"
#: Accepted by the SMTP server (or written to the mail folder).
SENT = "sent"
#: Given up after too many attempts or refused for good; kept for the operator to see.
FAILED = "failed"


class OutboxMail(Base):
    """An e-mail to deliver, its bodies already rendered. Instants are UTC ISO-8601 text
    of fixed width, so SQL compares them in time order on SQLite and PostgreSQL alike."""

    __tablename__ = "mail_outbox"
    __table_args__ = (Index("ix_mail_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    #: Name of the template the bodies came from (what kind of mail, for the operator).
    template: Mapped[str] = mapped_column(String(64))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    #: Chosen at queue time, so a mail sent twice (a sender died mid-send) has one id.
    message_id: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[str] = mapped_column(String(32))
    next_attempt_at: Mapped[str] = mapped_column(String(32))
    #: Random token of the sender holding the row; its updates require it.
    claim_token: Mapped[str | None] = mapped_column(String(32), default=None)
    lease_until: Mapped[str | None] = mapped_column(String(32), default=None)
    sent_at: Mapped[str | None] = mapped_column(String(32), default=None)
    #: Why the last attempt failed (error class and SMTP answer).
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
