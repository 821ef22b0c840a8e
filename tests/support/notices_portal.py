"""Helpers of the notice tests, against ``portal-sync-api serve`` on loopback sending its mail
to a real SMTP server (aiosmtpd), school 1849 seeded afresh for each test, with a parent
login per family."""

from __future__ import annotations

import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.message import EmailMessage

import requests
from sqlalchemy import Engine, select

from cantine_harness.portal import (
    PortalProcess,
    SeededSchool,
    clear_database,
    create_user_token,
    meal,
    seed_school,
)
from portal_sync_api.core.db import session_scope
from portal_sync_api.crud.notices import run_pass
from portal_sync_api.crud.schools import set_school
from portal_sync_api.mail.models import OutboxMail
from tests.support.smtp import SmtpServer
from tests.support.station import PARIS


@dataclass
class NoticePortal:
    """The running portal, its SMTP server, and the school seeded for the current test."""

    portal: PortalProcess
    smtp: SmtpServer
    engine: Engine
    school: SeededSchool = field(init=False)
    #: The parent login's address of each family (by the school's family id).
    parents: dict[str, str] = field(default_factory=dict)

    def reseed(self) -> None:
        clear_database(self.portal.database_url)
        self.school = seed_school(self.portal.database_url)
        self.parents = {}
        for family in self.school.families:
            email = f"parent-{family.lower()}-{uuid.uuid4().hex[:6]}@example.fr"
            create_user_token(self.portal.database_url, role="parent", email=email, family=family)
            self.parents[family] = email

    def push_meal(self, child_id: str, day: date, *, charged_cents: int = 415) -> None:
        """One meal of ``child_id`` as the station pushes it (``POST /v1/sync/meals``)."""
        item = meal(
            f"m-{uuid.uuid4().hex[:12]}",
            child_id,
            day=day,
            charged_cents=charged_cents,
            served_at=datetime(day.year, day.month, day.day, 12, 4, tzinfo=PARIS).isoformat(),
        )
        answer = requests.post(
            f"{self.portal.url}/v1/sync/meals",
            json={"meals": [item]},
            headers={"Authorization": f"Bearer {self.school.station_token}"},
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        assert [r["status"] for r in answer.json()["results"]] == ["applied"], answer.text

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """``portal-sync-api --db URL ARGS…`` as the operator (or cron) runs it."""
        done = subprocess.run(
            [sys.executable, "-m", "portal_sync_api", "--db", self.portal.database_url, *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done

    def run_pass(self, at: datetime) -> None:
        """The periodic notice pass, in process, at the instant ``at`` (the clock moved)."""
        with session_scope(self.engine) as session:
            run_pass(session, now=at)

    def set_school(self, **settings: str) -> None:
        """``school set 1849 --setting KEY=VALUE…``, in process."""
        with session_scope(self.engine) as session:
            set_school(session, code="1849", settings=dict(settings))

    def queued(self, address: str, template: str) -> list[OutboxMail]:
        """The outbox rows of ``template`` to ``address`` (sent or not)."""
        with session_scope(self.engine) as session:
            return list(
                session.scalars(
                    select(OutboxMail)
                    .where(OutboxMail.to_address == address, OutboxMail.template == template)
                    .order_by(OutboxMail.id)
                )
            )

    def received(self, address: str, count: int) -> list[EmailMessage]:
        """Wait until ``count`` messages to ``address`` reached the SMTP server; all of
        those it received so far."""
        seen: set[int] = set()
        for _ in range(count):
            found = self.smtp.wait_for(
                lambda m: address in str(m["To"]) and id(m) not in seen, timeout=30
            )
            seen.add(id(found))
        return [m for m in self.smtp.messages if address in str(m["To"])]

    def wait_sent(self) -> None:
        """Wait until the portal's sender has handed every queued mail to the SMTP server."""
        with session_scope(self.engine) as session:
            queued = session.scalars(select(OutboxMail.message_id)).all()
        for message_id in queued:
            self.smtp.wait_for(lambda m, i=message_id: m["Message-ID"] == i, timeout=30)


def past_school_days(count: int) -> list[date]:
    """``count`` distinct past weekdays (meals must not be in the future)."""
    day = datetime.now(PARIS).date() - timedelta(days=1)
    days = []
    while len(days) < count:
        if day.isoweekday() <= 5:
            days.append(day)
        day -= timedelta(days=1)
    return days
