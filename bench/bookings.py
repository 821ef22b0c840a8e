"""Parents' bookings (docs/design.md §8).

1. Usual days for a whole school year, the start of September: a 500-pupil school (zone C
   holidays), each child's parent books Monday, Tuesday, Thursday and Friday from
   1 September 2027 to 5 July 2028 with ``book_usual_days``, one transaction per child
   as the page does: bookings/s and the feed it produced, beside a plain bulk INSERT of
   the same reservation rows (same columns, one transaction) into a twin database.
2. The booking page of a family of three children: ``GET /famille/reservations`` through
   the app in process (TestClient), cycling the children and a few weeks: p50/p99,
   beside a static page (``/accessibilite``) through the same stack.
3. A booking (``PUT /v1/children/…/reservations/…``, a parent's token) → in the cache of a
   station whose runner syncs every 10 s: worst and mean of a few samples at random
   instants, beside one bare ``sync_once`` round trip.

1 and 2 run on SQLite, and on PostgreSQL when ``PORTAL_TEST_POSTGRES_URL`` is set or a
server answers on 127.0.0.1:5432; 3 on SQLite, the portal a real uvicorn process.
"""

from __future__ import annotations

import os
import random
import re
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, insert, select, text

from bench.common import bench_database, mean, percentile, postgres_url, table, write_section
from cantine_harness.portal import (
    create_station_token,
    create_user_token,
    migrate,
    running_portal,
)
from cantine_harness.school import build_school
from portal_sync_api.api.main import create_app
from portal_sync_api.core.db import make_engine, session_scope
from portal_sync_api.crud.accounts import Principal
from portal_sync_api.crud.bookings import book_usual_days, calendar_of
from portal_sync_api.crud.logins import create_login
from portal_sync_api.crud.schools import require_school, set_school
from portal_sync_api.models import Change, Child, Family, Reservation
from portal_sync_api.models import table as core_table
from station.core.config import StationConfig, load_config
from station.store import Store, cache
from station.sync.runner import SyncRunner, sync_once

CODE = "1849"
PUPILS = 500
FIRST = date(2027, 9, 1)
LAST = date(2028, 7, 5)
USUAL = {1, 2, 4, 5}
#: The parents book at the end of August, before the first day's cutoff.
NOW = datetime(2027, 8, 25, 18, 0, tzinfo=UTC)
PAGE_REQUESTS = 300
PAGE_WEEKS = ("2027-W37", "2027-W38", "2027-W39", "2027-W40", "2027-W41")
SAMPLES = 3
INTERVAL = 10
PASSWORD = "mot de passe du banc 1849"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')

Row = tuple[str, str, str, str, str]


def _school(url: str) -> None:
    """The 500-pupil school with its families and no reservations, in zone C."""
    migrate(url)
    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            build_school(session, code=CODE, pupils=PUPILS, reservation_rate=0.0)
            set_school(session, code=CODE, settings={"holiday_zone": "C"})
        if engine.dialect.name == "postgresql":  # what autovacuum would do after the load
            with engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
    finally:
        engine.dispose()


def _children(engine: Engine) -> list[tuple[str, str]]:
    """(child's id, its family's key) of every child of the school, in id order."""
    with session_scope(engine) as session:
        school = require_school(session, code=CODE)
        found = session.execute(
            select(Child.ref, Child.family_id)
            .where(Child.school_id == school.id)
            .order_by(Child.ref)
        ).all()
    return [(ref, family) for ref, family in found if family is not None]


def _usual_days(url: str) -> dict[str, Any]:
    """Each parent books the usual days of the year, one transaction per child."""
    engine = make_engine(url)
    try:
        children = _children(engine)
        per_child: list[float] = []
        booked = skipped = refused = 0
        started = time.perf_counter()
        for ref, family in children:
            principal = Principal(kind="parent", school_id=None, family_id=family)
            began = time.perf_counter()
            with session_scope(engine) as session:
                summary = book_usual_days(
                    session,
                    principal,
                    child_id=ref,
                    weekdays=USUAL,
                    start=FIRST,
                    end=LAST,
                    service="dejeuner",
                    actor=f"parent de {ref}",
                    now=NOW,
                )
            per_child.append(time.perf_counter() - began)
            booked += len(summary.booked)
            skipped += len(summary.skipped)
            refused += len(summary.refused)
        total = time.perf_counter() - started
        with session_scope(engine) as session:
            feed_rows, feed_bytes = session.execute(
                select(func.count(), func.coalesce(func.sum(func.length(Change.data)), 0)).where(
                    Change.kind == "reservation"
                )
            ).one()
            stored = session.execute(select(func.count()).select_from(Reservation)).scalar_one()
            columns = (
                Child.ref.label("child"),
                Reservation.day,
                Reservation.service,
                Reservation.prepaid,
                Reservation.booking_ref,
                Reservation.booked_by,
                Reservation.booked_at,
                Reservation.debit_cents,
            )
            rows = [
                dict(r._mapping)
                for r in session.execute(
                    select(*columns).join(Child, Child.id == Reservation.child_id)
                )
            ]
    finally:
        engine.dispose()
    assert stored == booked == len(rows), (stored, booked, len(rows))
    return {
        "children": len(children),
        "booked": booked,
        "skipped": skipped,
        "refused": refused,
        "total": total,
        "per_child": per_child,
        "feed_rows": int(feed_rows),
        "feed_bytes": int(feed_bytes),
        "rows": rows,
    }


def _bulk_reference(url: str, booked: list[dict[str, Any]]) -> float:
    """Seconds to INSERT the same reservation rows in one transaction (twin database)."""
    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            school = require_school(session, code=CODE)
            key_of = dict(
                session.execute(
                    select(Child.ref, Child.id).where(Child.school_id == school.id)
                ).all()
            )
        rows = [
            {
                "child_id": key_of[r["child"]],
                **{k: v for k, v in r.items() if k != "child"},
            }
            for r in booked
        ]
        started = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(insert(core_table(Reservation)), rows)
        return time.perf_counter() - started
    finally:
        engine.dispose()


def _login(app: Any, url: str, family_ref: str) -> TestClient:
    """A parent of ``family_ref`` logged in on the pages, as a browser would."""
    email = f"parent.{family_ref.lower()}@example.fr"
    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            create_login(
                session,
                email=email,
                password=PASSWORD,
                role="parent",
                family_id=family_ref,
                school_code=CODE,
            )
    finally:
        engine.dispose()
    client = TestClient(app, base_url="http://127.0.0.1:8000")
    found = _CSRF.search(client.get("/connexion").text)
    assert found is not None
    answer = client.post(
        "/connexion",
        data={"email": email, "password": PASSWORD, "csrf_token": found.group(1)},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text[:300]
    return client


def _timed_gets(client: TestClient, paths: list[str]) -> list[float]:
    times = []
    for path in paths:
        started = time.perf_counter()
        answer = client.get(path)
        times.append(time.perf_counter() - started)
        assert answer.status_code == 200, (path, answer.status_code)
    return times


def _page(url: str) -> dict[str, Any]:
    """p50/p99 of the booking page of a family of three, and of a static page."""
    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            school = require_school(session, code=CODE)
            family_key = session.execute(
                select(Child.family_id)
                .where(Child.school_id == school.id, Child.family_id.is_not(None))
                .group_by(Child.family_id)
                .having(func.count() == 3)
                .order_by(Child.family_id)
                .limit(1)
            ).scalar_one()
            family_ref = session.get_one(Family, family_key).ref
            children = list(
                session.execute(
                    select(Child.ref).where(Child.family_id == family_key).order_by(Child.ref)
                ).scalars()
            )
            booked = session.execute(
                select(func.count())
                .select_from(Reservation)
                .join(Child, Child.id == Reservation.child_id)
                .where(Child.family_id == family_key)
            ).scalar_one()
    finally:
        engine.dispose()
    app = create_app(url)
    app.state.clock = lambda: NOW
    try:
        with _login(app, url, family_ref) as client:
            paths = [
                f"/famille/reservations?enfant={children[n % 3]}"
                f"&semaine={PAGE_WEEKS[(n // 3) % len(PAGE_WEEKS)]}"
                for n in range(PAGE_REQUESTS)
            ]
            _timed_gets(client, paths[:15])  # warm-up: templates, pools, caches
            page = _timed_gets(client, paths)
            static = _timed_gets(client, ["/accessibilite"] * PAGE_REQUESTS)
    finally:
        app.state.engine.dispose()
    return {"page": page, "static": static, "booked": booked}


def _config(directory: Path, url: str, token: str) -> StationConfig:
    path = directory / "ligne-1.toml"
    path.write_text(
        f'[station]\nname = "ligne-1"\nschool = "{CODE}"\n'
        f'database = "{directory / "ligne-1"}.db"\n'
        f'[portal]\nurl = "{url}"\ntoken = "{token}"\nsync_interval_seconds = {INTERVAL}\n',
        encoding="utf-8",
    )
    return load_config(path)


def _visible_at_station(url: str, directory: Path) -> dict[str, Any]:
    """Booking → in the station's cache, runner at a 10 s interval (portal on ``url``)."""
    rng = random.Random(8)
    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            school = require_school(session, code=CODE)
            calendar = calendar_of(session, school)
            child, family = session.execute(
                select(Child.ref, Family.ref)
                .join(Family, Family.id == Child.family_id)
                .where(Child.school_id == school.id)
                .order_by(Child.ref)
                .limit(1)
            ).one()
    finally:
        engine.dispose()
    # School days after the 48 h cutoff from now, within the year a parent may book.
    days, day = [], datetime.now(UTC).date() + timedelta(days=4)
    while len(days) < SAMPLES:
        if calendar.is_school_day(day):
            days.append(day)
        day += timedelta(days=1)
    with running_portal(url, migrate_first=False) as portal:
        token = create_station_token(url, school=CODE, name="ligne-1")
        parent = create_user_token(url, role="parent", school=CODE, family=family)
        config = _config(directory, portal.url, token)
        sync_once(config)  # the station's first pull of the school
        started = time.perf_counter()
        sync_once(config)
        bare = time.perf_counter() - started
        store = Store(config.station.database)
        runner = SyncRunner(config, on_status=lambda _s: None)
        runner.start()
        latencies = []
        try:
            with portal.client(parent) as client:
                for day in days:
                    time.sleep(rng.uniform(0.0, INTERVAL))
                    booked = time.perf_counter()
                    answer = client.put(f"/v1/children/{child}/reservations/{day}/dejeuner")
                    assert answer.status_code == 200 and answer.json()["changed"], answer.text
                    while True:
                        with store.read() as conn:
                            if cache.get_reservation(conn, child, day, "dejeuner") is not None:
                                break
                        time.sleep(0.02)
                    latencies.append(time.perf_counter() - booked)
        finally:
            runner.stop()
            store.close()
    return {"latencies": latencies, "bare": bare}


def _year_rows(kind: str, year: dict[str, Any], reference: float) -> list[Row]:
    rate = year["booked"] / year["total"]
    ref_rate = year["booked"] / reference
    per_child_ref = reference / year["children"]
    return [
        (
            f"{kind}: usual days Mon/Tue/Thu/Fri {FIRST:%d/%m/%Y}–{LAST:%d/%m/%Y}, "
            f"{year['children']} children, one transaction each ({year['booked']:,} bookings, "
            f"{year['skipped']:,} closed days skipped, {year['refused']} refused)",
            f"{year['total']:.2f} s, {rate:,.0f} bookings/s",
            f"{reference:.2f} s, {ref_rate:,.0f} rows/s (bulk INSERT, one transaction)",
            f"{year['total'] / reference:.1f}×",
            "—",
        ),
        (
            f"{kind}: one child's year (what a parent waits), p99",
            f"{percentile(year['per_child'], 99) * 1000:.0f} ms",
            f"{per_child_ref * 1000:.1f} ms (its share of the bulk INSERT)",
            f"{percentile(year['per_child'], 99) / per_child_ref:.0f}×",
            "—",
        ),
        (
            f"{kind}: feed produced",
            f"{year['feed_rows']:,} changes, {year['feed_bytes'] / 1e6:.1f} MB of data",
            f"{year['booked']:,} bookings",
            f"{year['feed_rows'] / year['booked']:.2f} change/booking",
            "—",
        ),
    ]


def _page_rows(kind: str, page: dict[str, Any]) -> list[Row]:
    p50, p99 = percentile(page["page"], 50), percentile(page["page"], 99)
    static99 = percentile(page["static"], 99)
    return [
        (
            f"{kind}: booking page, family of 3 ({page['booked']} bookings), "
            f"{PAGE_REQUESTS} GETs over 3 children × {len(PAGE_WEEKS)} weeks, p99",
            f"{p99 * 1000:.1f} ms (p50 {p50 * 1000:.1f} ms)",
            f"{static99 * 1000:.1f} ms (/accessibilite p99, "
            f"p50 {percentile(page['static'], 50) * 1000:.1f} ms)",
            f"{p99 / static99:.1f}×",
            "< 300 ms p99",
        )
    ]


def run(kind: str, directory: Path) -> list[Row]:
    rows: list[Row] = []
    with (
        bench_database(kind, directory, "portal", prefix="bookings_bench_portal") as url,
        bench_database(kind, directory, "twin", prefix="bookings_bench_twin") as twin,
    ):
        _school(url)
        _school(twin)
        year = _usual_days(url)
        reference = _bulk_reference(twin, year.pop("rows"))
        rows += _year_rows(kind, year, reference)
        rows += _page_rows(kind, _page(url))
        if kind == "sqlite":
            seen = _visible_at_station(url, directory)
            latencies, bare = seen["latencies"], seen["bare"]
            rows += [
                (
                    f"booking (PUT, parent) → in the station's cache, worst of {SAMPLES}",
                    f"{max(latencies):.1f} s",
                    f"{bare * 1000:.0f} ms (one sync_once round trip)",
                    f"{max(latencies) / bare:.0f}×",
                    f"≤ 15 s at {INTERVAL} s interval",
                ),
                (
                    "booking → in the station's cache, mean",
                    f"{mean(latencies):.1f} s",
                    "—",
                    "—",
                    "—",
                ),
            ]
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
        "Parents' bookings",
        f"School of {PUPILS} pupils (build_school, zone C holidays), one parent principal "
        "per family; the booking page through the app in process (TestClient) on the same "
        "database after the year was booked; the station at 10 s on a real portal "
        f"(uvicorn on loopback, SQLite), sharing the cores with it; {load} "
        f"({os.cpu_count()} cores).\n\n" + table(rows),
    )


if __name__ == "__main__":
    main()
