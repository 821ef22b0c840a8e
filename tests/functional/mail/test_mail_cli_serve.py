"""``portal-sync-api mail send`` and the sender inside a real ``portal-sync-api serve``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine

from cantine_harness.portal import running_portal
from portal_sync_api.cli import main
from portal_sync_api.mail.models import PENDING, SENT
from tests.support.mail_queue import SUBJECT, outbox, queue
from tests.support.smtp import SmtpServer, smtp_server_running


def _smtp_env(port: int) -> dict[str, str]:
    return {
        "PORTAL_SMTP_HOST": "127.0.0.1",
        "PORTAL_SMTP_PORT": str(port),
        "PORTAL_SMTP_SECURITY": "none",
        "PORTAL_MAIL_FROM": "cantine@college.fr",
    }


def _use_smtp(monkeypatch: pytest.MonkeyPatch, port: int) -> None:
    for name, value in _smtp_env(port).items():
        monkeypatch.setenv(name, value)


def test_mail_send_delivers_the_queue_and_exits_0(
    portal_db: str,
    engine: Engine,
    smtp_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    queue(engine, to="un@example.fr")
    queue(engine, to="deux@example.fr")
    _use_smtp(monkeypatch, smtp_server.port)

    code = main(["--db", portal_db, "mail", "send"])

    assert code == 0
    assert sorted(r[0] for r in smtp_server.recipients) == ["deux@example.fr", "un@example.fr"]
    assert "2 envoyé(s)" in capsys.readouterr().err
    assert {row.status for row in outbox(engine)} == {SENT}


def test_mail_send_exits_1_when_smtp_is_down_then_0_while_the_mail_backs_off(
    portal_db: str, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with smtp_server_running() as probe:
        port = probe.port  # nothing listens there any more
    queue(engine)
    _use_smtp(monkeypatch, port)

    first = main(["--db", portal_db, "mail", "send"])
    second = main(["--db", portal_db, "mail", "send"])

    assert (first, second) == (1, 0)
    (row,) = outbox(engine)
    assert (row.status, row.attempts) == (PENDING, 1)


def test_mail_send_without_a_transport_says_so_and_exits_1(
    portal_db: str, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    queue(engine)

    code = main(["--db", portal_db, "mail", "send"])

    assert code == 1
    assert "aucun envoi configuré" in capsys.readouterr().err
    assert [row.status for row in outbox(engine)] == [PENDING]


def test_serve_with_smtp_configured_delivers_mail_queued_in_the_database(
    portal_db: str, engine: Engine, smtp_server: SmtpServer
) -> None:
    with running_portal(portal_db, env=_smtp_env(smtp_server.port)):
        mail_id = queue(engine, to="parent@example.fr")  # as another worker would
        message = smtp_server.wait_for(timeout=20)

    assert message["Subject"] == SUBJECT
    assert message["From"] == "cantine@college.fr"
    (row,) = outbox(engine)
    assert (row.id, row.status) == (mail_id, SENT)


def test_serve_without_a_transport_logs_that_mail_stays_queued(
    sqlite_db: str, tmp_path: Path
) -> None:
    log = tmp_path / "portal.log"
    with running_portal(sqlite_db, log=log):
        pass

    assert "no transport configured" in log.read_text()


def test_mail_send_loop_delivers_what_is_queued_and_stops_cleanly_on_ctrl_c(
    portal_db: str, engine: Engine, smtp_server: SmtpServer
) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "portal_sync_api", "--db", portal_db, "mail", "send", "--loop"],
        env={**os.environ, **_smtp_env(smtp_server.port)},
        stderr=subprocess.PIPE,
    )
    try:
        queue(engine, to="boucle@example.fr")
        message = smtp_server.wait_for(timeout=20)
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=20)

    assert message["To"] == "boucle@example.fr"
    assert process.returncode == 0, err.decode()
    assert [row.status for row in outbox(engine)] == [SENT]
