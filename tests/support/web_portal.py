"""A real portal for the browser tests: ``portal-sync-api serve`` on loopback, its e-mail
going to an aiosmtpd server, a seeded school with logins and a meal a station synced.

Registered for every test through ``pytest_plugins`` in ``tests/conftest.py``:

- ``web_portal`` (session scope: one portal, one SMTP server, one database for all the
  browser tests, which never share a login, a session or a pending request): a
  :class:`WebPortal`;
- ``postgres_web_portal``: the same on PostgreSQL when ``PORTAL_TEST_POSTGRES_URL`` is
  set (a test module overrides ``web_portal`` to run on both);
- ``fresh_throttle``: forgets every failed login, sign-up and reset attempt before the
  test (all browser tests come from 127.0.0.1, so the per-IP throttle would otherwise
  carry over from one test to the next).

The seeded school is :func:`cantine_harness.portal.seed_school`'s « 1849 »: the parent
login is a parent of family ``F18491`` (Hervé ``C1849-42`` and Léa ``C1849-43`` DUPONT);
``C1849-44`` (Tom MARTIN) is another family's child. Station ``ligne-1`` has synced one
meal of Hervé's on the seed day before any test runs.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
from sqlalchemy import Engine, delete, text, update
from sqlalchemy.orm import Session

from cantine_harness.portal import (
    SeededSchool,
    free_port,
    meal,
    portal_database,
    postgres_server_url,
    running_portal,
    seed_school,
)
from portal_sync_api.core.db import make_engine, session_scope
from portal_sync_api.core.security import hash_token
from portal_sync_api.crud.logins import create_login, password_link, request_account
from portal_sync_api.models import LoginAttempt, PasswordLink
from tests.support.smtp import SmtpServer, smtp_server_running

PARIS = ZoneInfo("Europe/Paris")
INTENDANCE_EMAIL = "intendance@college1849.fr"
INTENDANCE_PASSWORD = "intendance-1849-navigateur"
PARENT_EMAIL = "parent.dupont@example.fr"
PARENT_PASSWORD = "parent-dupont-navigateur"
#: The meal station ``ligne-1`` synced before the tests (Hervé, seed day, 4,15 €).
SEEDED_MEAL_ID = "ligne-1-seed-0001"


@dataclass
class WebPortal:
    """The running portal (``url``), its database, the SMTP server its mail reaches and
    the seeded school with its logins."""

    url: str
    database_url: str
    engine: Engine
    smtp: SmtpServer
    school: SeededSchool
    intendance_email: str = INTENDANCE_EMAIL
    intendance_password: str = INTENDANCE_PASSWORD
    parent_email: str = PARENT_EMAIL
    parent_password: str = PARENT_PASSWORD

    @property
    def family(self) -> str:
        """The parent login's family (``F18491``)."""
        return self.school.families[0]

    @property
    def own_child(self) -> str:
        """Hervé DUPONT, a child of the parent login's family (card ``1849-01234``)."""
        return self.school.children[0]

    @property
    def other_family_child(self) -> str:
        """Tom MARTIN, a child of another family of the same school."""
        return self.school.children[2]

    @contextlib.contextmanager
    def db(self) -> Iterator[Session]:
        """A session on the portal's database, committed at the end of the block."""
        with session_scope(self.engine) as session:
            yield session

    def count(self, sql: str, **params: Any) -> int:
        """``SELECT count(*) …`` on the portal's database (``sql`` starts at ``FROM``)."""
        with self.engine.connect() as conn:
            return int(conn.execute(text(f"SELECT count(*) {sql}"), params).scalar_one())

    def sync_meal(
        self,
        child_id: str,
        *,
        day: date | None = None,
        charged_cents: int = 415,
        meal_id: str | None = None,
    ) -> str:
        """Push one meal of ``child_id`` as station ``ligne-1`` does (``POST
        /v1/sync/meals``); served a minute ago today (Paris) unless ``day`` is given.
        Returns the meal id; fails unless the portal answers ``applied``."""
        meal_id = meal_id or f"ligne-1-{uuid.uuid4().hex[:12]}"
        served = datetime.now(PARIS) - timedelta(minutes=1)
        if day is not None:
            served = datetime(day.year, day.month, day.day, 12, 4, tzinfo=PARIS)
        item = meal(
            meal_id,
            child_id,
            day=served.date(),
            charged_cents=charged_cents,
            served_at=served.isoformat(timespec="seconds"),
        )
        answer = requests.post(
            f"{self.url}/v1/sync/meals",
            json={"meals": [item]},
            headers={"Authorization": f"Bearer {self.school.station_token}"},
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        statuses = [r["status"] for r in answer.json()["results"]]
        assert statuses == ["applied"], answer.text
        return meal_id

    def new_parent(self, family: str | None = None) -> tuple[str, str]:
        """A new parent login (of ``family``, else the third seeded family, which no other
        login uses): its unique address and password."""
        email = f"parent-{uuid.uuid4().hex[:10]}@example.fr"
        password = f"mot de passe {uuid.uuid4().hex[:8]}"
        with self.db() as session:
            create_login(
                session,
                email=email,
                password=password,
                role="parent",
                family_id=family or self.school.families[2],
            )
        return email, password

    def pending_request(self) -> str:
        """A new sign-up request for Tom MARTIN (another family) waiting for the
        intendance; returns its address."""
        email = f"demande-{uuid.uuid4().hex[:10]}@example.fr"
        with self.db() as session:
            request_account(
                session,
                card_digits="01236",
                last_name="MARTIN",
                first_name="Tom",
                email=email,
                ip="192.0.2.10",
            )
        return email

    def password_link(self, email: str) -> str:
        """A fresh single-use link for ``email`` to choose a password (as mailed)."""
        with self.db() as session:
            return password_link(session, email=email, public_url=self.url)

    def photo_sha(self, child_id: str) -> str | None:
        """The SHA-256 of the child's stored photo, ``None`` when there is none."""
        with self.engine.connect() as conn:
            found = conn.execute(
                text(
                    "SELECT p.sha256 FROM child_photos p JOIN children c ON c.id = p.child_id"
                    " WHERE c.ref = :child"
                ),
                {"child": child_id},
            ).scalar_one_or_none()
        return None if found is None else str(found)

    def forget_attempts(self) -> None:
        """Forget every counted failure (login, sign-up, reset): the throttle starts over."""
        with self.db() as session:
            session.execute(delete(LoginAttempt))

    def expire_link(self, token: str) -> None:
        """Make the password link of ``token`` expired (its 48 hours are over)."""
        past = (datetime.now(UTC) - timedelta(hours=1)).isoformat(timespec="seconds")
        with self.db() as session:
            done = session.execute(
                update(PasswordLink)
                .where(PasswordLink.token_hash == hash_token(token))
                .values(expires_at=past)
            )
            assert done.rowcount == 1, "no password link with that token"  # type: ignore[attr-defined]


def _seed_logins(database_url: str, school: SeededSchool) -> None:
    engine = make_engine(database_url)
    try:
        with session_scope(engine) as session:
            create_login(
                session,
                email=INTENDANCE_EMAIL,
                password=INTENDANCE_PASSWORD,
                role="intendance",
                school_code=school.code,
            )
            create_login(
                session,
                email=PARENT_EMAIL,
                password=PARENT_PASSWORD,
                role="parent",
                family_id=school.families[0],
            )
    finally:
        engine.dispose()


@contextlib.contextmanager
def web_portal_running(*, postgres: bool = False) -> Iterator[WebPortal]:
    """An SMTP server, a seeded database and ``portal-sync-api serve`` sending its mail
    there (``PORTAL_SMTP_SECURITY=none``), with links in mails to the portal itself."""
    with contextlib.ExitStack() as stack:
        smtp = stack.enter_context(smtp_server_running())
        database_url = stack.enter_context(portal_database(postgres=postgres))
        school = seed_school(database_url)
        _seed_logins(database_url, school)
        # The public URL (links in the mails) must be known before the portal starts: a
        # port is picked here, and another one if it was taken before the portal bound it.
        for attempt in range(3):
            port = free_port()
            env = {
                "PORTAL_SMTP_HOST": smtp.host,
                "PORTAL_SMTP_PORT": str(smtp.port),
                "PORTAL_SMTP_SECURITY": "none",
                "PORTAL_PUBLIC_URL": f"http://127.0.0.1:{port}",
                "PORTAL_MAIL_DIR": "",
                "PORTAL_SECURE_COOKIES": "auto",  # not Secure: plain http on loopback
            }
            try:
                process = stack.enter_context(
                    running_portal(database_url, port=port, env=env, migrate_first=False)
                )
                break
            except RuntimeError:
                if attempt == 2:
                    raise
        engine = make_engine(database_url)
        stack.callback(engine.dispose)
        web = WebPortal(process.url, database_url, engine, smtp, school)
        web.sync_meal(web.own_child, day=school.day, meal_id=SEEDED_MEAL_ID)
        yield web


@pytest.fixture(scope="session")
def web_portal() -> Iterator[WebPortal]:
    """One real portal (SQLite) for every browser test of the session."""
    with web_portal_running() as web:
        yield web


@pytest.fixture(scope="session")
def postgres_web_portal() -> Iterator[WebPortal]:
    """The same portal on PostgreSQL (``PORTAL_TEST_POSTGRES_URL``; skipped without it,
    like every PostgreSQL run of the portal tests)."""
    if postgres_server_url() is None:
        pytest.skip("PORTAL_TEST_POSTGRES_URL is not set")
    with web_portal_running(postgres=True) as web:
        yield web


@pytest.fixture
def fresh_throttle(web_portal: WebPortal) -> WebPortal:
    """The session's portal with no failed attempt counted yet."""
    web_portal.forget_attempts()
    return web_portal
