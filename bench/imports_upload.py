"""The intendance's imports by upload (docs/design.md §8).

A school of 2 000 pupils (``build_school``, one day). Two files: the roster again with
one pupil in ten changing class, and a reservations file of 2 000 pupils × 40 school days
(80 000 lines, about 2.7 Mo, near the 5 Mo limit). Each goes through the app in process
(TestClient, an intendance logged in): the upload and its preview (the real import in a
transaction rolled back), then « Valider » (the import again, compared with the preview,
committed). Reference, same run and same database: the command line's loader alone on
the same file (``imports.LOADERS``), in a transaction rolled back. Timed once each: an
import is a rare, large request.

Runs on SQLite, and on PostgreSQL when ``PORTAL_TEST_POSTGRES_URL`` is set or a server
answers on 127.0.0.1:5432.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from bench.common import bench_database, postgres_url, table, write_section
from cantine_harness.portal import migrate
from cantine_harness.school import build_school
from portal_sync_api.api.main import create_app
from portal_sync_api.core.db import make_engine, session_scope
from portal_sync_api.crud.logins import create_login
from portal_sync_api.imports import LOADERS
from portal_sync_api.models import Child, School

CODE = "1849"
PUPILS = 2000
DAY = date(2026, 11, 24)
DAYS = 40
EMAIL = "intendance.imports@college1849.fr"
PASSWORD = "mot de passe du banc des imports"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')

Row = tuple[str, str, str, str, str]


def build(url: str) -> tuple[bytes, bytes]:
    """The school and an intendance login; returns the roster and reservations files."""
    migrate(url)
    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            build_school(session, code=CODE, pupils=PUPILS, start=DAY, end=DAY)
            create_login(
                session, email=EMAIL, password=PASSWORD, role="intendance", school_code=CODE
            )
        with session_scope(engine) as session:
            children = session.execute(
                select(Child.ref, Child.last_name, Child.first_name, Child.class_name)
                .join(School, School.id == Child.school_id)
                .where(School.code == CODE)
                .order_by(Child.ref)
            ).all()
        if engine.dialect.name == "postgresql":
            with engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
    finally:
        engine.dispose()
    roster = ["child_id;last_name;first_name;class;school"]
    for n, (ref, last, first, klass) in enumerate(children):
        roster.append(f"{ref};{last};{first};{'3Z' if n % 10 == 0 else klass};{CODE}")
    later = (DAY + timedelta(days=d) for d in range(1, DAYS * 2))
    days = [d for d in later if d.weekday() < 5]
    bookings = ["child_id;date;service"]
    bookings += [f"{c[0]};{d.isoformat()};dejeuner" for d in days[:DAYS] for c in children]
    return ("\n".join(roster) + "\n").encode(), ("\n".join(bookings) + "\n").encode()


def _log_in(client: TestClient) -> None:
    found = _CSRF.search(client.get("/connexion").text)
    assert found is not None
    answer = client.post(
        "/connexion",
        data={"email": EMAIL, "password": PASSWORD, "csrf_token": found.group(1)},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text[:300]


def _upload(client: TestClient, kind: str, data: bytes) -> tuple[float, float]:
    """(upload and preview, « Valider ») in seconds."""
    found = _CSRF.search(client.get("/intendance/imports").text)
    assert found is not None
    started = time.perf_counter()
    sent = client.post(
        "/intendance/imports",
        data={"csrf_token": found.group(1), "type": kind},
        files={"fichier": (f"{kind}.csv", data, "text/csv")},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text[:500]
    preview = client.get(sent.headers["location"])
    previewed = time.perf_counter() - started
    assert preview.status_code == 200
    token = _CSRF.search(preview.text)
    assert token is not None
    started = time.perf_counter()
    applied = client.post(
        sent.headers["location"] + "/valider",
        data={"csrf_token": token.group(1)},
        follow_redirects=False,
    )
    assert applied.status_code == 303, applied.text[:500]
    return previewed, time.perf_counter() - started


def _loader_alone(url: str, kind: str, data: bytes) -> float:
    """The command line's loader on ``data``, rolled back, in seconds."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn, conn.begin() as transaction:
            session = Session(bind=conn)
            started = time.perf_counter()
            LOADERS[kind](session, data, CODE)
            session.flush()
            elapsed = time.perf_counter() - started
            session.close()
            transaction.rollback()
    finally:
        engine.dispose()
    return elapsed


def run(kind: str, directory: Path) -> list[Row]:
    rows: list[Row] = []
    with bench_database(kind, directory, "imports", prefix="imports_bench") as url:
        roster, bookings = build(url)
        app = create_app(url)
        try:
            with TestClient(app, base_url="http://127.0.0.1:8000") as client:
                _log_in(client)
                for what, name, data in (
                    ("roster", "roster, 1 in 10 changing class", roster),
                    ("reservations", f"reservations, {PUPILS} pupils × {DAYS} days", bookings),
                ):
                    alone = _loader_alone(url, what, data)
                    previewed, applied = _upload(client, what, data)
                    lines = data.count(b"\n") - 1
                    size = f"{len(data) / 1_000_000:.1f} Mo"
                    rows.append(
                        (
                            f"{kind}: {name} ({lines} lines, {size}): upload and preview",
                            f"{previewed:.2f} s",
                            f"{alone:.2f} s (the CLI's loader alone, rolled back)",
                            f"{previewed / alone:.1f}×",
                            "—",
                        )
                    )
                    rows.append(
                        (
                            f"{kind}: {name}: « Valider » (import again, compare, commit)",
                            f"{applied:.2f} s",
                            "same reference",
                            f"{applied / alone:.1f}×",
                            "—",
                        )
                    )
        finally:
            app.state.engine.dispose()
    return rows


def main() -> None:
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        rows = run("sqlite", Path(tmp))
        if postgres_url():
            rows += run("postgresql", Path(tmp))
        else:
            rows.append(("postgresql", "skipped", "no server on 127.0.0.1:5432", "-", "-"))
    load = f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after the run"
    write_section(
        "Intendance's imports by upload",
        f"School of {PUPILS} pupils (build_school); each file uploaded through the app in "
        "process (TestClient, logged in): upload and preview (the import rolled back), then "
        "« Valider » (the import again, compared with the preview, committed), beside the "
        f"command line's loader alone on the same file; timed once each; {load} "
        f"({os.cpu_count()} cores).\n\n" + table(rows),
    )


if __name__ == "__main__":
    main()
