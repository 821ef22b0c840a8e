"""Queueing e-mails: render the French bodies and add an outbox row in the caller's
transaction. Nothing is sent here; the sender (``mail.sender``) delivers after commit.

A mail is thus queued if and only if the change that causes it commits: a rolled-back
sign-up sends nothing, and a committed one cannot lose its mail to an SMTP outage.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parseaddr
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy import event
from sqlalchemy.orm import Session

from portal_sync_api.core.config import Settings
from portal_sync_api.errors import DataError
from portal_sync_api.mail.models import PENDING, OutboxMail

TEMPLATES = Path(__file__).with_name("templates")
#: Template names: letters, digits and underscores (no path can be smuggled in).
_TEMPLATE_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ADDRESS = re.compile(rf"[A-Za-z0-9.!#$%&'*+/=?^_`{{|}}~-]{{1,64}}@{_LABEL}(?:\.{_LABEL})*")

#: Set after a transaction that queued mail commits, so a sender in this process
#: delivers at once instead of at its next poll.
mail_queued = threading.Event()


def utcnow() -> datetime:
    """The current instant, in UTC."""
    return datetime.now(UTC)


def stamp(instant: datetime) -> str:
    """``instant`` as fixed-width UTC ISO-8601 text: text order is time order."""
    return instant.astimezone(UTC).isoformat(timespec="microseconds")


def normalize_email(address: str) -> str:
    """``address`` stripped, with its domain in lower case; ``DataError("email", …)`` when
    it is not a plain ``local@domain`` address (no display name, no line break)."""
    value = address.strip()
    if len(value) > 254 or not _ADDRESS.fullmatch(value) or parseaddr(value)[1] != value:
        raise DataError("email", "adresse e-mail invalide")
    local, _, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}"


@cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        # Escaped in the HTML body only: the text body shows names as typed.
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,  # a missing value is a bug, not a blank in a mail
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render(
    template: str, context: Mapping[str, object], *, portal_url: str, subject: str
) -> tuple[str, str]:
    """The text and HTML bodies of ``templates/<template>.txt`` and ``.html``; every
    template also receives ``portal_url`` and the mail's ``subject``."""
    if not _TEMPLATE_NAME.fullmatch(template):
        raise DataError("template", f"nom de modèle invalide: {template!r}")
    env = _environment()
    values = {**context, "portal_url": portal_url, "subject": subject}
    text = env.get_template(f"{template}.txt").render(values)
    html = env.get_template(f"{template}.html").render(values)
    return text, html


def _domain(mail_from: str) -> str:
    address = parseaddr(mail_from)[1]
    return address.rpartition("@")[2] or "localhost"


def _wake_senders(_session: Session) -> None:
    mail_queued.set()


def queue_mail(
    session: Session,
    *,
    to: str,
    subject: str,
    template: str,
    context: Mapping[str, object],
) -> int:
    """Render portal_sync_api/mail/templates/<template>.txt and .html (Jinja2, French) with
    ``context`` and add one outbox row in the caller's transaction; returns its id.
    Nothing is sent here: the sender delivers after commit, with retries."""
    address = normalize_email(to)
    subject = subject.strip()
    if not subject or len(subject) > 300 or "\n" in subject or "\r" in subject:
        raise DataError("subject", "objet vide, trop long ou sur plusieurs lignes")
    settings = Settings.from_env()
    text, html = render(template, context, portal_url=settings.public_url, subject=subject)
    now = stamp(utcnow())
    row = OutboxMail(
        to_address=address,
        subject=subject,
        template=template,
        body_text=text,
        body_html=html,
        message_id=f"<{uuid.uuid4().hex}.cantine@{_domain(settings.mail_from)}>",
        status=PENDING,
        attempts=0,
        created_at=now,
        next_attempt_at=now,
    )
    session.add(row)
    session.flush()
    if not event.contains(session, "after_commit", _wake_senders):
        event.listen(session, "after_commit", _wake_senders)
    return row.id
