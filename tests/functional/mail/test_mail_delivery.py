"""Delivery through a real SMTP server on loopback: arrival, exactly once, retries."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select

from portal_sync_api.core.db import make_engine, session_scope
from portal_sync_api.mail import queue_mail
from portal_sync_api.mail.models import FAILED, PENDING, SENDING, SENT, OutboxMail
from portal_sync_api.mail.outbox import stamp
from portal_sync_api.mail.sender import Sender, SenderThread
from portal_sync_api.mail.transports import SmtpTransport
from tests.support.mail_queue import SUBJECT, Clock, outbox, queue
from tests.support.smtp import SmtpServer, smtp_server_running

FROM = "Restauration scolaire <cantine@college.fr>"


def _sender(engine: Engine, port: int, clock: Clock, **kwargs: object) -> Sender:
    return Sender(
        engine,
        SmtpTransport(host="127.0.0.1", port=port, security="none"),
        mail_from=FROM,
        clock=clock,
        **kwargs,  # type: ignore[arg-type]
    )


def test_queued_mail_arrives_in_french_with_text_and_html_parts(
    engine: Engine, smtp_server: SmtpServer, clock: Clock
) -> None:
    mail_id = queue(engine, to="parent@Example.FR", name="<b>Zoé</b>")

    report = _sender(engine, smtp_server.port, clock).deliver_due()

    message = smtp_server.wait_for()
    assert report.sent == 1 and report.ok
    assert message["Subject"] == SUBJECT
    assert message["To"] == "parent@example.fr"
    assert message["From"] == FROM
    assert message["Date"] is not None
    assert message["Auto-Submitted"] == "auto-generated"
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    assert "Bonjour <b>Zoé</b>," in text.get_content()  # the text body shows it as typed
    assert "Le service de restauration scolaire" in text.get_content()
    assert "Bonjour &lt;b&gt;Zoé&lt;/b&gt;," in html.get_content()  # escaped in HTML
    assert 'lang="fr"' in html.get_content()
    (row,) = outbox(engine)
    assert (row.id, row.status, row.attempts) == (mail_id, SENT, 1)
    assert row.sent_at is not None and row.claim_token is None
    assert message["Message-ID"] == row.message_id


def test_two_senders_at_once_send_each_mail_exactly_once(
    portal_db: str, smtp_server: SmtpServer, clock: Clock
) -> None:
    # Two engines: two processes' connection pools, as with two uvicorn workers.
    engines = [make_engine(portal_db), make_engine(portal_db)]
    try:
        ids = [queue(engines[0], to=f"parent{n}@example.fr") for n in range(12)]
        start = threading.Barrier(2)
        reports = []

        def run(engine: Engine) -> None:
            start.wait()
            reports.append(_sender(engine, smtp_server.port, clock).deliver_due())

        threads = [threading.Thread(target=run, args=(e,)) for e in engines]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)

        assert sum(r.sent for r in reports) == len(ids)
        assert sorted(r[0] for r in smtp_server.recipients) == sorted(
            f"parent{n}@example.fr" for n in range(12)
        )
        assert {row.status for row in outbox(engines[0])} == {SENT}
        assert {row.attempts for row in outbox(engines[0])} == {1}
    finally:
        for engine in engines:
            engine.dispose()


def test_rolled_back_transaction_queues_nothing(engine: Engine) -> None:
    class Refused(Exception):
        pass

    with pytest.raises(Refused), session_scope(engine) as session:
        queue_mail(
            session,
            to="parent@example.fr",
            subject=SUBJECT,
            template="test_message",
            context={"name": "Zoé"},
        )
        raise Refused

    assert outbox(engine) == []


def test_smtp_down_loses_nothing_backs_off_then_delivers_when_it_is_up(
    engine: Engine, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    with smtp_server_running() as probe:  # a port known free: nothing listens once closed
        port = probe.port
    mail_id = queue(engine, to="zoe.petit@example.fr")

    before = clock()
    down = _sender(engine, port, clock).deliver_due()
    after = clock()

    (row,) = outbox(engine)
    assert (down.sent, down.retrying) == (0, 1)
    assert (row.status, row.attempts) == (PENDING, 1)
    assert "ConnectionRefusedError" in (row.last_error or "")
    assert f"mail {mail_id} attempt 1 failed" in caplog.text
    assert "zoe.petit" not in caplog.text  # logs name the row, never the person
    retry_at = datetime.fromisoformat(row.next_attempt_at)
    assert before + timedelta(seconds=48) <= retry_at <= after + timedelta(seconds=60)

    with smtp_server_running(port=port) as smtp:
        too_early = _sender(engine, port, clock).deliver_due()
        assert too_early.sent == 0 and smtp.messages == []  # still backing off
        clock.advance(timedelta(minutes=1))
        up = _sender(engine, port, clock).deliver_due()
        message = smtp.wait_for()

    assert up.sent == 1
    assert message["Subject"] == SUBJECT
    (row,) = outbox(engine)
    assert (row.id, row.status, row.attempts) == (mail_id, SENT, 2)


def test_mail_is_given_up_as_failed_after_the_last_attempt_and_kept(
    engine: Engine, clock: Clock
) -> None:
    with smtp_server_running() as probe:
        port = probe.port
    queue(engine)
    sender = _sender(engine, port, clock, max_attempts=3)

    reports = []
    for _ in range(3):
        reports.append(sender.deliver_due())
        clock.advance(timedelta(hours=1))
    after = sender.deliver_due()

    assert [(r.retrying, r.failed) for r in reports] == [(1, 0), (1, 0), (0, 1)]
    assert after.ok and after.sent == 0  # a failed mail is not tried again
    (row,) = outbox(engine)
    assert (row.status, row.attempts) == (FAILED, 3)
    assert row.last_error and row.body_text  # kept whole, with why, for the operator


def test_a_lease_that_expired_is_claimed_again_and_a_live_one_is_not(
    engine: Engine, smtp_server: SmtpServer, clock: Clock
) -> None:
    live, dead = queue(engine, to="live@example.fr"), queue(engine, to="dead@example.fr")
    with session_scope(engine) as session:  # two senders that took a row each, then died
        for mail_id, lease_until in (
            (live, clock() + timedelta(minutes=4)),
            (dead, clock() - timedelta(seconds=1)),
        ):
            row = session.get_one(OutboxMail, mail_id)
            row.status, row.claim_token, row.lease_until = SENDING, "x" * 32, stamp(lease_until)
            row.attempts = 1

    report = _sender(engine, smtp_server.port, clock).deliver_due()

    assert report.sent == 1
    assert smtp_server.wait_for()["To"] == "dead@example.fr"
    rows = {row.id: row for row in outbox(engine)}
    assert (rows[dead].status, rows[dead].attempts) == (SENT, 2)
    assert rows[live].status == SENDING
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(OutboxMail)) == 2


def test_sender_thread_delivers_as_soon_as_this_process_commits_and_stops_cleanly(
    engine: Engine, smtp_server: SmtpServer, clock: Clock
) -> None:
    # A poll of an hour: only the wake-up after commit can deliver within the wait.
    thread = SenderThread(_sender(engine, smtp_server.port, clock), poll=3600)
    thread.start()
    try:
        queue(engine, to="vite@example.fr")
        message = smtp_server.wait_for(lambda m: m["To"] == "vite@example.fr")
    finally:
        thread.stop(timeout=10)

    assert message["Subject"] == SUBJECT
    assert not thread.is_alive()


def test_a_recipient_refused_for_good_is_given_up_at_once(engine: Engine, clock: Clock) -> None:
    queue(engine, to="inconnu@example.fr")
    queue(engine, to="parent@example.fr")
    with smtp_server_running(refuse={"inconnu@example.fr"}) as smtp:
        report = _sender(engine, smtp.port, clock).deliver_due()
        smtp.wait_for()

    assert (report.sent, report.failed, report.retrying) == (1, 1, 0)
    assert smtp.recipients == [["parent@example.fr"]]
    refused, delivered = outbox(engine)
    assert (refused.status, refused.attempts, delivered.status) == (FAILED, 1, SENT)
    assert "550" in (refused.last_error or "")
