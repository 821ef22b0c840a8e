"""A real SMTP server on loopback (aiosmtpd) that collects what the portal sends.

Registered for every test through ``pytest_plugins`` in ``tests/conftest.py``:

- ``smtp_server``: a plain server on a free 127.0.0.1 port, stopped after the test;
- ``smtp_tls``: a throwaway certificate authority (``.ca_file`` for the portal's
  ``PORTAL_SMTP_CA_FILE``) and a server certificate for 127.0.0.1 (``.server_context``);
- :func:`smtp_server_running` for other set-ups (fixed port, STARTTLS, implicit TLS,
  a login required).

Messages arrive as ``email.message.EmailMessage`` (``policy.default``: headers decoded,
``get_body(("plain",))`` works). Wait for one with :meth:`SmtpServer.wait_for`, never
with a sleep.
"""

from __future__ import annotations

import contextlib
import ssl
import threading
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from cantine_harness.portal import free_port

HOST = "127.0.0.1"


@dataclass
class SmtpServer:
    """A running server: where it listens, what it received, who logged in."""

    host: str
    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    #: Envelope recipients of each message, in the order of ``messages``.
    recipients: list[list[str]] = field(default_factory=list)
    #: User names that logged in successfully (``AUTH``).
    logins: list[str] = field(default_factory=list)
    _arrived: threading.Condition = field(default_factory=threading.Condition, repr=False)

    def wait_for(
        self, predicate: Callable[[EmailMessage], bool] = lambda _m: True, timeout: float = 10.0
    ) -> EmailMessage:
        """The first received message matching ``predicate``, waiting up to ``timeout``
        seconds for it to arrive; ``AssertionError`` (listing the subjects) otherwise."""

        def found() -> EmailMessage | None:
            return next((m for m in self.messages if predicate(m)), None)

        with self._arrived:
            if self._arrived.wait_for(lambda: found() is not None, timeout):
                message = found()
                assert message is not None
                return message
        subjects = [str(m["Subject"]) for m in self.messages]
        raise AssertionError(f"no matching mail within {timeout}s; received: {subjects}")

    def _collect(self, message: EmailMessage, rcpt_tos: list[str]) -> None:
        with self._arrived:
            self.messages.append(message)
            self.recipients.append(rcpt_tos)
            self._arrived.notify_all()


class _Handler:
    def __init__(self, server: SmtpServer, refused: Collection[str] = ()) -> None:
        self.server = server
        self.refused = set(refused)

    async def handle_RCPT(
        self, _server: Any, _session: Any, envelope: Any, address: str, _options: Any
    ) -> str:
        if address in self.refused:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        parsed = BytesParser(policy=policy.default).parsebytes(envelope.content)
        assert isinstance(parsed, EmailMessage)
        self.server._collect(parsed, list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


def _authenticator(server: SmtpServer, user: str, password: str) -> Callable[..., AuthResult]:
    def check(_smtp: Any, _session: Any, _envelope: Any, _mechanism: str, data: Any) -> AuthResult:
        if (
            isinstance(data, LoginPassword)
            and data.login.decode() == user
            and data.password.decode() == password
        ):
            server.logins.append(user)
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    return check


@contextlib.contextmanager
def smtp_server_running(
    *,
    port: int | None = None,
    starttls: ssl.SSLContext | None = None,
    implicit_tls: ssl.SSLContext | None = None,
    login: tuple[str, str] | None = None,
    refuse: Collection[str] = (),
) -> Iterator[SmtpServer]:
    """An aiosmtpd server on 127.0.0.1 (``port`` or a free one) until the block ends.

    ``starttls``: the server context offered by STARTTLS, which is then required before
    any mail; ``implicit_tls``: TLS from the first byte (port 465 style); ``login``:
    ``(user, password)`` that must authenticate (after TLS) before any mail; ``refuse``:
    recipients answered ``550`` (a mailbox that does not exist)."""
    server = SmtpServer(HOST, port or free_port())
    options: dict[str, Any] = {}
    if starttls is not None:
        options.update(tls_context=starttls, require_starttls=True)
    if login is not None:
        options.update(auth_required=True, authenticator=_authenticator(server, *login))
    controller = Controller(
        _Handler(server, refuse),
        hostname=HOST,
        port=server.port,
        ssl_context=implicit_tls,
        server_hostname="smtp.test",
        **options,
    )
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A plain SMTP server on a free loopback port (``PORTAL_SMTP_SECURITY=none``)."""
    with smtp_server_running() as server:
        yield server


@dataclass(frozen=True)
class TlsMaterial:
    """A test CA and the server side of a certificate it issued for 127.0.0.1."""

    ca_file: Path
    server_context: ssl.SSLContext


@pytest.fixture(scope="session")
def smtp_tls(tmp_path_factory: pytest.TempPathFactory) -> TlsMaterial:
    """A throwaway CA (its PEM at ``.ca_file``) and a server context for 127.0.0.1."""
    ca = trustme.CA()
    ca_file = tmp_path_factory.mktemp("smtp-ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(HOST).configure_cert(context)
    return TlsMaterial(ca_file, context)
