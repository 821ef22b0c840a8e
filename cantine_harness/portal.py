"""A real portal for the demo, the tests and the benchmarks: a ``portal-sync-api serve``
process on loopback, throwaway databases (SQLite file or PostgreSQL), a seeded school and
tokens.

Typical use in a station sync test::

    with portal_database() as url:               # temp SQLite, migrated
        seeded = seed_school(url)                # school 1849 + tokens
        with running_portal(url) as portal:      # uvicorn subprocess on a free port
            requests.get(portal.url + "/v1/sync/changes",
                         headers={"Authorization": f"Bearer {seeded.station_token}"})

Set ``PORTAL_TEST_POSTGRES_URL`` (e.g. ``postgresql://postgres@127.0.0.1:5432/test``) and
pass ``postgres=True`` to :func:`portal_database` to run the same test on PostgreSQL.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import requests
from sqlalchemy import text

from cantine_harness.school import school_with_tariffs
from portal_sync_api.core.config import normalize_database_url
from portal_sync_api.core.db import make_engine, session_scope
from portal_sync_api.crud.accounts import create_station, create_user
from portal_sync_api.crud.ledger import CreditIn, add_credits
from portal_sync_api.crud.refs import family_by_ref
from portal_sync_api.crud.roster import (
    ReservationRow,
    RosterRow,
    import_reservations,
    import_roster,
)
from portal_sync_api.migrate import upgrade

if TYPE_CHECKING:  # httpx is a test dependency: the demo never builds a client
    import httpx

POSTGRES_ENV = "PORTAL_TEST_POSTGRES_URL"
#: The business day the seeded reservations are for.
SEED_DAY = date(2025, 11, 24)  # a Monday, safely in the past (no clock_skew)


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def postgres_server_url() -> str | None:
    """``PORTAL_TEST_POSTGRES_URL`` when set, else ``None`` (tests then skip PostgreSQL)."""
    return os.environ.get(POSTGRES_ENV) or None


def migrate(database_url: str) -> None:
    """Create or upgrade the portal schema at ``database_url`` (same as ``migrate``)."""
    upgrade(database_url)


@contextlib.contextmanager
def postgres_throwaway(server_url: str, *, prefix: str = "portal_test") -> Iterator[str]:
    """A new, empty, uniquely named PostgreSQL database on ``server_url``'s server,
    dropped on exit (even if connections are left open). Yields its SQLAlchemy URL."""
    import psycopg

    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = normalize_database_url(server_url).replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, _db = admin.rpartition("/")
    try:
        yield normalize_database_url(f"{base}/{name}")
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def portal_database(*, postgres: bool = False, directory: Path | None = None) -> Iterator[str]:
    """A migrated throwaway portal database: a temp SQLite file (default) or, with
    ``postgres=True``, a database on ``PORTAL_TEST_POSTGRES_URL``. Yields its URL."""
    if postgres:
        server = postgres_server_url()
        if server is None:
            raise RuntimeError(f"{POSTGRES_ENV} is not set")
        with postgres_throwaway(server) as url:
            migrate(url)
            yield url
        return
    with tempfile.TemporaryDirectory(dir=directory) as tmp:
        url = f"sqlite:///{Path(tmp) / 'portal.db'}"
        migrate(url)
        yield url


def clear_database(database_url: str) -> None:
    """Empty every portal table (keeps the schema): a fast reset between tests."""
    from portal_sync_api.mail import models as _mail_models  # noqa: F401  (its table in Base)
    from portal_sync_api.models import Base

    engine = make_engine(database_url)
    try:
        with engine.begin() as conn:
            names = [t.name for t in Base.metadata.sorted_tables]
            if engine.dialect.name == "postgresql":
                conn.execute(text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE"))
            else:
                for name in reversed(names):
                    conn.execute(text(f"DELETE FROM {name}"))
    finally:
        engine.dispose()


@dataclass
class PortalProcess:
    """A portal running in a subprocess; ``url`` is ``http://127.0.0.1:PORT``."""

    url: str
    database_url: str
    process: subprocess.Popen[bytes]
    log: Path

    def client(self, token: str | None = None, **kwargs: object) -> httpx.Client:
        """An httpx client on this portal, with the bearer token when given."""
        import httpx

        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30, **kwargs)  # type: ignore[arg-type]


@contextlib.contextmanager
def running_portal(
    database_url: str | None = None,
    *,
    timeout: float = 20.0,
    migrate_first: bool = True,
    log: Path | None = None,
    port: int | None = None,
    env: Mapping[str, str] | None = None,
) -> Iterator[PortalProcess]:
    """Start ``portal-sync-api --db URL serve`` on a free loopback port, wait until
    ``/healthz`` answers ok, yield it, and stop it (SIGTERM, then SIGKILL).

    Without ``database_url`` a temp SQLite database is created and removed afterwards;
    without ``log`` the portal's output goes to a temporary file; without ``port`` a free
    one is picked (and another tried if it was taken before the portal bound it); ``env``
    is added to the portal's environment (``PORTAL_SMTP_HOST``…). A portal
    that exits at start raises ``RuntimeError``, one that never answers ``TimeoutError``.
    """
    with contextlib.ExitStack() as stack:
        if database_url is None:
            database_url = stack.enter_context(portal_database())
        elif migrate_first:
            migrate(database_url)
        if log is None:
            log = Path(stack.enter_context(tempfile.TemporaryDirectory())) / "portal.log"
        log_file = stack.enter_context(log.open("ab"))
        # A free port can be taken by another process before uvicorn binds it: the portal
        # then exits at once, and a new port is tried.
        fixed_port = port
        attempts = 3 if fixed_port is None else 1
        for attempt in range(attempts):
            port = fixed_port or free_port()
            process = subprocess.Popen(
                [
                    *(sys.executable, "-m", "portal_sync_api", "--db", database_url, "serve"),
                    *("--host", "127.0.0.1", "--port", str(port)),
                ],
                stdout=log_file,
                stderr=subprocess.STDOUT,
                env={**os.environ, **env} if env else None,
            )
            portal = PortalProcess(f"http://127.0.0.1:{port}", database_url, process, log)
            try:
                _wait_healthy(portal, timeout)
                break
            except RuntimeError:  # exited at start
                if attempt == attempts - 1:
                    raise
            except BaseException:
                process.kill()
                process.wait()
                raise
        try:
            yield portal
        finally:
            stop_process(process)


def wait_healthy(
    name: str, url: str, process: subprocess.Popen[bytes], log: Path, timeout: float
) -> None:
    """Wait until ``url/healthz`` answers 200 (a process of this harness: the portal, the
    sandbox bank). ``RuntimeError`` with its log when the process exits first,
    ``TimeoutError`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited early:\n{log.read_text(errors='replace')}")
        try:
            if requests.get(url + "/healthz", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"{name} not healthy after {timeout}s:\n{log.read_text(errors='replace')}")


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL when it has not exited within 10 s."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _wait_healthy(portal: PortalProcess, timeout: float) -> None:
    wait_healthy("portal", portal.url, portal.process, portal.log, timeout)


def create_station_token(database_url: str, *, school: str = "1849", name: str = "ligne-1") -> str:
    """Register a station of ``school`` and return its bearer token."""
    engine = make_engine(database_url)
    try:
        with session_scope(engine) as session:
            return create_station(session, school_code=school, name=name)
    finally:
        engine.dispose()


def create_user_token(
    database_url: str,
    *,
    role: str,
    email: str | None = None,
    school: str | None = None,
    family: str | None = None,
) -> str:
    """Register an ``intendance`` (needs ``school``) or ``parent`` (needs ``family``, the
    school's id of the family, in ``school`` when given) user and return its bearer token."""
    engine = make_engine(database_url)
    try:
        with session_scope(engine) as session:
            key = family_by_ref(session, ref=family, school_code=school).id if family else None
            return create_user(
                session,
                role=role,
                email=email or f"{role}-{uuid.uuid4().hex[:6]}@example.fr",
                school_code=school,
                family_key=key,
            )
    finally:
        engine.dispose()


def _child(
    child_id: str, last: str, first: str, klass: str, card: str, family: str, **extra: object
) -> RosterRow:
    values: dict[str, object] = {
        "child_id": child_id,
        "last_name": last,
        "first_name": first,
        "class_name": klass,
        "birth_date": date(2013, 5, 4),
        "card_code": card,
        "card_status": "active",
        "regime": "ticket",
        "forfait_days": "",
        "tariff": "T1",
        "diet": (),
        "allergies": (),
        "family_id": family,
        "family_email": f"{family.lower()}@example.fr",
        "photo": None,
    }
    values.update(extra)
    return RosterRow(**values)  # type: ignore[arg-type]


@dataclass
class SeededSchool:
    """What :func:`seed_school` created. Children (all in ``families``):

    - ``{p}42`` DUPONT Hervé 6B, card ``CODE-01234``, T1 (415), sans_porc + arachide, family
      ``F{code}1`` (credit 5000), reserved ``day`` dejeuner
    - ``{p}43`` DUPONT Léa 5A, card ``CODE-01235``, forfait 1245, family ``F{code}1``
    - ``{p}44`` MARTIN Tom 6B, card ``CODE-01236``, T2 (250), family ``F{code}2`` (credit
      500), prepaid reservation ``day`` dejeuner
    - ``{p}45`` PETIT Zoé 4C, card ``CODE-01237`` **lost**, family ``F{code}3`` (no credit)
    - ``{p}46`` BERNARD Noah 3F, card ``CODE-01238``, T1, family ``F{code}3``, reserved
      ``day`` dejeuner (a no-show unless served)

    where ``{p}`` is ``C{code}-``.
    """

    code: str
    day: date
    children: list[str]
    cards: dict[str, str]  # child id -> card code
    families: list[str]
    station_token: str = ""
    intendance_token: str = ""
    parent_token: str = ""  # parent of families[0]
    extra: dict[str, str] = field(default_factory=dict)


def seed_school(
    database_url: str, *, code: str = "1849", day: date = SEED_DAY, tokens: bool = True
) -> SeededSchool:
    """Create school ``code`` (dejeuner 11:15-13:45, tariffs T1=415/T2=250) with five
    children, three families, credits, reservations for ``day`` and, with ``tokens``,
    a station (``ligne-1``), an intendance user and a parent of the first family."""
    p = f"C{code}-"
    fam = [f"F{code}{n}" for n in (1, 2, 3)]
    rows = [
        _child(
            f"{p}42",
            "DUPONT",
            "Hervé",
            "6B",
            f"{code}-01234",
            fam[0],
            diet=("sans_porc",),
            allergies=("arachide",),
        ),
        _child(
            f"{p}43",
            "DUPONT",
            "Léa",
            "5A",
            f"{code}-01235",
            fam[0],
            regime="forfait",
            forfait_days="1245",
        ),
        _child(f"{p}44", "MARTIN", "Tom", "6B", f"{code}-01236", fam[1], tariff="T2"),
        _child(f"{p}45", "PETIT", "Zoé", "4C", f"{code}-01237", fam[2], card_status="lost"),
        _child(f"{p}46", "BERNARD", "Noah", "3F", f"{code}-01238", fam[2]),
    ]
    engine = make_engine(database_url)
    try:
        with session_scope(engine) as session:
            school = school_with_tariffs(
                session,
                code=code,
                name=f"Collège {code}",
                services={"dejeuner": ("11:15", "13:45")},
                tariffs={"T1": 415, "T2": 250},
            )
            import_roster(session, school=school, rows=rows)
            add_credits(
                session,
                school=school,
                credits=[
                    CreditIn(family_id=fam[0], amount_cents=5000, reference=f"SEED-{code}-1"),
                    CreditIn(family_id=fam[1], amount_cents=500, reference=f"SEED-{code}-2"),
                ],
            )
            import_reservations(
                session,
                school=school,
                rows=[
                    ReservationRow(child_id=f"{p}42", day=day, service="dejeuner", prepaid=False),
                    ReservationRow(child_id=f"{p}44", day=day, service="dejeuner", prepaid=True),
                    ReservationRow(child_id=f"{p}46", day=day, service="dejeuner", prepaid=False),
                ],
            )
    finally:
        engine.dispose()
    seeded = SeededSchool(
        code=code,
        day=day,
        children=[r.child_id for r in rows],
        cards={r.child_id: r.card_code or "" for r in rows},
        families=fam,
    )
    if tokens:
        seeded.station_token = create_station_token(database_url, school=code)
        seeded.intendance_token = create_user_token(database_url, role="intendance", school=code)
        seeded.parent_token = create_user_token(database_url, role="parent", family=fam[0])
    return seeded


def meal(
    meal_id: str,
    child_id: str,
    *,
    day: date = SEED_DAY,
    charged_cents: int = 415,
    served_at: str | None = None,
    service: str = "dejeuner",
    card: str | None = None,
) -> dict[str, object]:
    """A ``POST /v1/sync/meals`` item for a meal (served at 12:04 local time by default)."""
    return {
        "kind": "meal",
        "id": meal_id,
        "child_id": child_id,
        "card": card,
        "source": "wedge",
        "service": service,
        "business_date": day.isoformat(),
        "served_at": served_at or f"{day.isoformat()}T12:04:00+01:00",
        "reason": "reserved",
        "charged_cents": charged_cents,
    }


def void(void_id: str, meal_id: str, *, day: date = SEED_DAY) -> dict[str, object]:
    """A ``POST /v1/sync/meals`` item voiding ``meal_id``."""
    return {
        "kind": "void",
        "id": void_id,
        "meal_id": meal_id,
        "voided_at": f"{day.isoformat()}T12:06:00+01:00",
        "reason": "mauvais élève",
    }
