"""Portal benchmarks (docs/design.md §6): meal ingest through ``POST /v1/sync/meals`` against a
direct bulk insert, first full pull of a 2 000-pupil school, and a one-day delta.

Runs on SQLite, and on PostgreSQL when ``PORTAL_TEST_POSTGRES_URL`` is set or a server
answers on 127.0.0.1:5432. The portal is a real uvicorn process on loopback.
"""

from __future__ import annotations

import contextlib
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert, select, text

from bench.common import bench_database, postgres_url, table, write_section
from cantine_harness.calendar import school_days
from cantine_harness.portal import (
    create_station_token,
    migrate,
    running_portal,
)
from cantine_harness.school import build_school
from portal_sync_api.core.db import make_engine, session_scope
from portal_sync_api.models import Change, Child, Meal, Station

BATCH = 500
MEALS = 20_000
DAY_MEALS = 2_000


@contextlib.contextmanager
def _database(kind: str) -> Iterator[str]:
    with (
        tempfile.TemporaryDirectory() as tmp,
        bench_database(kind, Path(tmp), "portal", prefix="portal_bench") as url,
    ):
        yield url


def _meals(children: list[str], days: list[date], prefix: str, count: int) -> list[dict[str, Any]]:
    items = []
    for n in range(count):
        day = days[(n // len(children)) % len(days)]
        items.append(
            {
                "id": f"{prefix}-{n:07d}",
                "child_id": children[n % len(children)],
                "card": None,
                "source": "wedge",
                "service": "dejeuner",
                "business_date": day.isoformat(),
                "served_at": f"{day.isoformat()}T12:04:00+01:00",
                "reason": "reserved",
                "charged_cents": 415,
            }
        )
    return items


def _pull(client: httpx.Client, since: int) -> tuple[int, int]:
    """Pull like a station (parse every page); returns (rows, cursor)."""
    rows, more = 0, True
    while more:
        page = client.get(f"/v1/sync/changes?since={since}&limit=5000").json()
        rows += len(page["changes"])
        since, more = page["next"], page["more"]
    return rows, since


def _bulk_reference(url: str, items: list[dict[str, Any]]) -> float:
    """Seconds to insert the same meals straight into the meals table, 500 per commit."""
    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            station = session.execute(select(Station)).scalars().first()
            assert station is not None
            station_id, school_id = station.id, station.school_id
            key_of = dict(
                session.execute(
                    select(Child.ref, Child.id).where(Child.school_id == school_id)
                ).all()
            )
        rows = [
            {
                "id": "ref-" + m["id"],
                "ref": "ref-" + m["id"],
                "school_id": school_id,
                "station_id": station_id,
                "child_id": key_of[m["child_id"]],
                "card": None,
                "source": "wedge",
                "service": m["service"],
                "business_date": date.fromisoformat(m["business_date"]),
                "served_at": m["served_at"],
                "reason": m["reason"],
                "charged_cents": m["charged_cents"],
                "duplicate_pass": False,
                "clock_skew": False,
                "ack_seq": 0,
                "received_at": "2026-01-01T00:00:00+00:00",
            }
            for m in items
        ]
        started = time.perf_counter()
        for start in range(0, len(rows), BATCH):
            with engine.begin() as conn:
                conn.execute(insert(Meal.__table__), rows[start : start + BATCH])
        return time.perf_counter() - started
    finally:
        engine.dispose()


def run(kind: str) -> list[tuple[str, str, str, str, str]]:
    with _database(kind) as url:
        migrate(url)
        engine = make_engine(url)
        with session_scope(engine) as session:
            school = build_school(session)
        if kind != "sqlite":  # what autovacuum would do shortly after the bulk load
            with engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
        with engine.connect() as conn:
            feed_rows = conn.execute(select(text("count(*)")).select_from(Change)).scalar_one()
            started = time.perf_counter()
            conn.execute(
                select(Change.seq, Change.kind, Change.key, Change.data).order_by(
                    Change.school_id, Change.seq
                )
            ).all()
            raw_read = time.perf_counter() - started
        engine.dispose()
        token = create_station_token(url, school=school.code, name="bench")
        days = school_days(date(2026, 9, 1), until=date(2027, 7, 3))
        items = _meals(school.children, days, uuid.uuid4().hex[:8], MEALS)
        with running_portal(url, migrate_first=False) as portal, portal.client(token) as client:
            started = time.perf_counter()
            rows, cursor = _pull(client, 0)
            first_pull = time.perf_counter() - started
            started = time.perf_counter()
            for start in range(0, len(items), BATCH):
                answer = client.post("/v1/sync/meals", json={"meals": items[start : start + BATCH]})
                answer.raise_for_status()
            ingest = time.perf_counter() - started
            _, cursor = _pull(client, cursor)
            # The last school day so far: a later one is refused as implausible.
            day = max(d for d in days if d <= date.today())
            one_day = _meals(school.children, [day], "day", DAY_MEALS)
            for start in range(0, len(one_day), BATCH):
                client.post("/v1/sync/meals", json={"meals": one_day[start : start + BATCH]})
            started = time.perf_counter()
            delta_rows, _ = _pull(client, cursor)
            delta = time.perf_counter() - started
        reference = _bulk_reference(url, items)
    rate, ref_rate = MEALS / ingest, MEALS / reference
    return [
        (
            f"{kind}: ingest, meals/s (POST batches of {BATCH}, {MEALS} meals)",
            f"{rate:,.0f}",
            f"{ref_rate:,.0f} (bulk insert)",
            f"{rate / ref_rate:.2f}",
            "≥ 5 000",
        ),
        (
            f"{kind}: first full pull ({len(school.children)} pupils, "
            f"{school.reservations:,} reservations, {rows:,} changes)",
            f"{first_pull:.2f} s",
            f"{raw_read:.2f} s (SELECT of {feed_rows:,} rows)",
            f"{first_pull / raw_read:.1f}",
            "< 5 s",
        ),
        (
            f"{kind}: one-day delta ({DAY_MEALS} meals → {delta_rows:,} changes)",
            f"{delta * 1000:.0f} ms",
            f"{first_pull * 1000:.0f} ms (full pull)",
            f"{delta / first_pull:.3f}",
            "< 200 ms",
        ),
    ]


def main() -> None:
    rows = run("sqlite")
    if postgres_url():
        rows += run("postgresql")
    else:
        rows.append(("postgresql", "skipped", "no server on 127.0.0.1:5432", "-", "-"))
    write_section("Portal ingest", table(rows))


if __name__ == "__main__":
    main()
