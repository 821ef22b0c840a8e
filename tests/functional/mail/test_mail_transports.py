"""STARTTLS, implicit TLS and login against a real server; the demo's ``.eml`` files."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser
from pathlib import Path

from sqlalchemy import Engine

from portal_sync_api.mail.models import PENDING, SENT
from portal_sync_api.mail.sender import Sender
from portal_sync_api.mail.transports import FileTransport, SmtpTransport
from tests.support.mail_queue import SUBJECT, Clock, outbox, queue
from tests.support.smtp import TlsMaterial, smtp_server_running

FROM = "cantine@college.fr"


def test_starttls_with_the_test_ca_and_login_delivers(
    engine: Engine, smtp_tls: TlsMaterial, clock: Clock
) -> None:
    queue(engine)
    with smtp_server_running(starttls=smtp_tls.server_context, login=("cantine", "s3cret")) as smtp:
        transport = SmtpTransport(
            host=smtp.host,
            port=smtp.port,
            security="starttls",
            user="cantine",
            password="s3cret",
            ca_file=str(smtp_tls.ca_file),
        )
        report = Sender(engine, transport, mail_from=FROM, clock=clock).deliver_due()
        message = smtp.wait_for()

    assert report.sent == 1
    assert smtp.logins == ["cantine"]
    assert message["Subject"] == SUBJECT
    assert [row.status for row in outbox(engine)] == [SENT]


def test_starttls_refuses_a_certificate_from_an_untrusted_ca(
    engine: Engine, smtp_tls: TlsMaterial, clock: Clock
) -> None:
    queue(engine)
    with smtp_server_running(starttls=smtp_tls.server_context) as smtp:
        transport = SmtpTransport(host=smtp.host, port=smtp.port, security="starttls")
        report = Sender(engine, transport, mail_from=FROM, clock=clock).deliver_due()

    assert report.retrying == 1 and smtp.messages == []
    (row,) = outbox(engine)
    assert row.status == PENDING
    assert "SSLCertVerificationError" in (row.last_error or "")


def test_wrong_password_is_a_failed_attempt_not_a_delivery(
    engine: Engine, smtp_tls: TlsMaterial, clock: Clock
) -> None:
    queue(engine)
    with smtp_server_running(starttls=smtp_tls.server_context, login=("cantine", "s3cret")) as smtp:
        transport = SmtpTransport(
            host=smtp.host,
            port=smtp.port,
            user="cantine",
            password="wrong",
            ca_file=str(smtp_tls.ca_file),
        )
        report = Sender(engine, transport, mail_from=FROM, clock=clock).deliver_due()

    assert report.retrying == 1 and smtp.messages == [] and smtp.logins == []
    (row,) = outbox(engine)
    assert row.status == PENDING
    assert "SMTPAuthenticationError: 535" in (row.last_error or "")


def test_implicit_tls_delivers(engine: Engine, smtp_tls: TlsMaterial, clock: Clock) -> None:
    queue(engine)
    with smtp_server_running(implicit_tls=smtp_tls.server_context) as smtp:
        transport = SmtpTransport(
            host=smtp.host, port=smtp.port, security="tls", ca_file=str(smtp_tls.ca_file)
        )
        report = Sender(engine, transport, mail_from=FROM, clock=clock).deliver_due()
        message = smtp.wait_for()

    assert report.sent == 1
    assert message["Subject"] == SUBJECT


def test_file_transport_writes_a_parseable_eml(
    engine: Engine, tmp_path: Path, clock: Clock
) -> None:
    queue(engine, to="parent@example.fr", name="Zoé")
    folder = tmp_path / "courriels"

    report = Sender(engine, FileTransport(folder), mail_from=FROM, clock=clock).deliver_due()

    (path,) = folder.iterdir()  # nothing else: no partial file left behind
    assert report.sent == 1 and path.suffix == ".eml"
    message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    assert message["Subject"] == SUBJECT
    assert message["To"] == "parent@example.fr"
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    assert text is not None and "Bonjour Zoé," in text.get_content()
    assert html is not None and "<p>Bonjour Zoé,</p>" in html.get_content()
    assert [row.status for row in outbox(engine)] == [SENT]
