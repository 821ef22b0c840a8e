"""Where a built message goes: an SMTP server, or ``.eml`` files in a folder (the demo).

A transport sends one ``EmailMessage`` or raises; the sender decides what a failure
means for the outbox row (retry later, or give up).
"""

from __future__ import annotations

import smtplib
import ssl
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Protocol

from portal_sync_api.core.config import Settings
from portal_sync_api.mail.models import OutboxMail

#: Seconds an SMTP connect or command may take before the attempt counts as failed.
SMTP_TIMEOUT = 30.0


class Transport(Protocol):
    """Delivers one message or raises (``OSError``, ``smtplib.SMTPException``, …)."""

    def send(self, message: EmailMessage) -> None: ...

    def describe(self) -> str:
        """Where mails go, for the log (no password)."""
        ...


class PermanentFailure(Exception):
    """The server refused the message for good (a 5xx answer for every recipient):
    retrying would only be refused again."""


@dataclass(frozen=True)
class SmtpTransport:
    """SMTP submission with ``starttls`` (587), implicit ``tls`` (465) or ``none``."""

    host: str
    port: int = 587
    security: str = "starttls"
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_file: str | None = None
    timeout: float = SMTP_TIMEOUT

    def describe(self) -> str:
        """``smtp://host:port (security)``."""
        return f"smtp://{self.host}:{self.port} ({self.security})"

    def _tls(self) -> ssl.SSLContext:
        # Certificates are always verified; an internal relay's CA goes in ca_file.
        return ssl.create_default_context(cafile=self.ca_file)

    def send(self, message: EmailMessage) -> None:
        """Connect, secure, log in if configured, send, quit."""
        smtp: smtplib.SMTP
        if self.security == "tls":
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=self._tls())
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with smtp:
            if self.security == "starttls":
                smtp.starttls(context=self._tls())
            if self.user:
                smtp.login(self.user, self.password or "")
            try:
                smtp.send_message(message)
            except smtplib.SMTPRecipientsRefused as exc:
                if all(code >= 500 for code, _ in exc.recipients.values()):
                    raise PermanentFailure(_codes(exc.recipients)) from exc
                raise


def _codes(recipients: dict[str, tuple[int, bytes]]) -> str:
    # The SMTP answers without the addresses they concern (no personal data in errors).
    return "; ".join(
        f"{code} {reply.decode(errors='replace')}" for code, reply in recipients.values()
    )


@dataclass(frozen=True)
class FileTransport:
    """Writes each message as ``<time>-<random>.eml`` in ``directory`` (created if
    missing); the file appears whole (written aside, then renamed)."""

    directory: Path

    def describe(self) -> str:
        """``files in <directory>``."""
        return f"files in {self.directory}"

    def send(self, message: EmailMessage) -> None:
        """Write ``message`` as a new ``.eml`` file."""
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"{datetime.now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:8]}.eml"
        partial = self.directory / f".{name}.part"
        partial.write_bytes(bytes(message))
        partial.replace(self.directory / name)


def transport_from_settings(settings: Settings) -> Transport | None:
    """SMTP when ``smtp_host`` is set, else files when ``mail_dir`` is, else ``None``
    (mails stay queued)."""
    if settings.smtp_host:
        return SmtpTransport(
            host=settings.smtp_host,
            port=settings.smtp_port,
            security=settings.smtp_security,
            user=settings.smtp_user,
            password=settings.smtp_password,
            ca_file=settings.smtp_ca_file,
        )
    if settings.mail_dir:
        return FileTransport(Path(settings.mail_dir))
    return None


def build_message(mail: OutboxMail, *, mail_from: str) -> EmailMessage:
    """The MIME message of an outbox row: text and HTML alternatives, dated when queued."""
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = mail.to_address
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(datetime.fromisoformat(mail.created_at))
    message["Message-ID"] = mail.message_id
    # Tells mail servers and vacation responders this is an automatic message (RFC 3834).
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(mail.body_text)
    message.add_alternative(mail.body_html, subtype="html")
    return message
