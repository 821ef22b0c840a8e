"""The intendance's day page (docs/design.md §8).

A school of 2 000 pupils (``build_school``, that day's bookings only) whose stations pushed
the day's 2 000 meals through ``POST /v1/sync/meals`` (two lines, lunch spread from 11:20
to 13:40, a few voids). ``GET /intendance?jour=…`` through the app in process
(TestClient, an intendance logged in, the app's clock at 12:30 that day so the page is
live and carries its refresh): p50/p99, beside the consumption query alone
(``crud.reads.consumption``, the one function the page and the API's report call) on
the same database.

Runs on SQLite, and on PostgreSQL when ``PORTAL_TEST_POSTGRES_URL`` is set or a server
answers on 127.0.0.1:5432.
"""

from __future__ import annotations

import os
import random
import re
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy import text

from bench.common import bench_database, percentile, postgres_url, table, write_section
from cantine_harness.portal import create_station_token, migrate
from cantine_harness.school import build_school
from portal_sync_api.api.main import create_app
from portal_sync_api.core.db import make_engine, session_scope
from portal_sync_api.crud.logins import create_login
from portal_sync_api.crud.reads import consumption
from portal_sync_api.crud.schools import require_school

CODE = "1849"
PUPILS = 2000
DAY = date(2026, 11, 24)  # a Tuesday
PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 11, 24, 12, 30, tzinfo=PARIS)
REQUESTS = 200
VOIDS = 12
EMAIL = "intendance.banc@college1849.fr"
PASSWORD = "mot de passe du banc de la journée"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')

Row = tuple[str, str, str, str, str]


def _lunch(children: list[str], rng: random.Random) -> list[dict[str, Any]]:
    """Each child's meal, at a time drawn around 12:30 (11:20–13:40), at one of two
    lines; then a few voids a minute after their meal."""
    items: list[dict[str, Any]] = []
    start = datetime(DAY.year, DAY.month, DAY.day, 11, 20, tzinfo=PARIS)
    for n, child in enumerate(children):
        minute = min(max(rng.gauss(70, 28), 0), 139)
        served = start + timedelta(minutes=minute, seconds=rng.randrange(60))
        items.append(
            {
                "kind": "meal",
                "id": f"m-{n:05d}",
                "child_id": child,
                "card": None,
                "source": "wedge",
                "service": "dejeuner",
                "business_date": DAY.isoformat(),
                "served_at": served.isoformat(timespec="seconds"),
                "reason": "reserved",
                "charged_cents": 415,
            }
        )
    for n in rng.sample(range(len(items)), VOIDS):
        served = datetime.fromisoformat(items[n]["served_at"])
        items.append(
            {
                "kind": "void",
                "id": f"v-{n:05d}",
                "meal_id": items[n]["id"],
                "voided_at": (served + timedelta(minutes=1)).isoformat(timespec="seconds"),
                "reason": "mauvais élève",
            }
        )
    return items


def build_day(url: str) -> list[str]:
    """The school, its bookings of ``DAY``, an intendance login and two stations' tokens;
    returns the tokens. The meals are pushed by :func:`push_lunch`."""
    migrate(url)
    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            build_school(session, code=CODE, pupils=PUPILS, start=DAY, end=DAY)
            create_login(
                session, email=EMAIL, password=PASSWORD, role="intendance", school_code=CODE
            )
        if engine.dialect.name == "postgresql":  # what autovacuum would do after the load
            with engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
    finally:
        engine.dispose()
    return [create_station_token(url, school=CODE, name=f"ligne-{n}") for n in (1, 2)]


def push_lunch(client: TestClient, url: str, tokens: list[str]) -> int:
    """Every child eats once: the meals (then the voids) pushed in batches of 500, the
    lines taking turns. Returns how many items the portal applied."""
    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            school = require_school(session, code=CODE)
            children = sorted(
                session.execute(
                    text("SELECT ref FROM children WHERE school_id = :s"), {"s": school.id}
                ).scalars()
            )
    finally:
        engine.dispose()
    items = _lunch(children, random.Random(1849))
    applied = 0
    for index, first in enumerate(range(0, len(items), 500)):
        answer = client.post(
            "/v1/sync/meals",
            json={"meals": items[first : first + 500]},
            headers={"Authorization": f"Bearer {tokens[index % 2]}"},
        )
        assert answer.status_code == 200, answer.text[:300]
        applied += sum(r["status"] == "applied" for r in answer.json()["results"])
    return applied


def _log_in(client: TestClient) -> None:
    found = _CSRF.search(client.get("/connexion").text)
    assert found is not None
    answer = client.post(
        "/connexion",
        data={"email": EMAIL, "password": PASSWORD, "csrf_token": found.group(1)},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text[:300]


def _timed(call: Any, count: int) -> list[float]:
    times = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return times


def run(kind: str, directory: Path) -> list[Row]:
    with bench_database(kind, directory, "day", prefix="day_page_bench") as url:
        tokens = build_day(url)
        app = create_app(url)
        app.state.clock = lambda: NOW
        try:
            with TestClient(app, base_url="http://127.0.0.1:8000") as client:
                applied = push_lunch(client, url, tokens)
                _log_in(client)
                path = f"/intendance?jour={DAY.isoformat()}"

                def page() -> None:
                    answer = client.get(path)
                    assert answer.status_code == 200 and 'http-equiv="refresh"' in answer.text

                page_times = (_timed(page, 10), _timed(page, REQUESTS))[1]
            engine = app.state.engine
            with session_scope(engine) as session:
                school = require_school(session, code=CODE)
                served = sum(
                    f.served_reserved + f.served_unreserved + f.served_forfait
                    for f in consumption(session, school=school, day=DAY).services.values()
                )

            def query() -> None:
                with session_scope(engine) as session:
                    consumption(session, school=require_school(session, code=CODE), day=DAY)

            query_times = (_timed(query, 10), _timed(query, REQUESTS))[1]
        finally:
            app.state.engine.dispose()
    p99, q99 = percentile(page_times, 99), percentile(query_times, 99)
    return [
        (
            f"{kind}: day page, {PUPILS} pupils, {applied} items pushed "
            f"({served} meals served, {VOIDS} voided), {REQUESTS} GETs, p99",
            f"{p99 * 1000:.1f} ms (p50 {percentile(page_times, 50) * 1000:.1f} ms)",
            f"{q99 * 1000:.1f} ms (consumption query alone, p99; "
            f"p50 {percentile(query_times, 50) * 1000:.1f} ms)",
            f"{p99 / q99:.1f}×",
            "< 300 ms p99",
        )
    ]


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
        "Intendance's day page",
        f"School of {PUPILS} pupils (build_school, the day's bookings), every pupil's lunch "
        "pushed by two stations through the sync API; the page through the app in process "
        "(TestClient, logged in, clock at 12:30 so the page is live), beside the "
        f"consumption query it shares with the API's report; {load} "
        f"({os.cpu_count()} cores).\n\n" + table(rows),
    )


if __name__ == "__main__":
    main()
