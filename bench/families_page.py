"""The intendance's families list (docs/design.md §8).

A school of 2 000 pupils (``build_school``, one day's bookings) whose families then carry
20 meal charges each in the ledger (about two thirds end below zero). ``GET
/intendance/familles`` (negative balances first, « négatif depuis » for the 30 shown) and
a name search through the app in process (TestClient, an intendance logged in): p50/p99,
beside the balances query alone (``crud.ledger.running_balances`` of every family of the
school, which the list needs to sort) on the same database; the negative balances' CSV
timed once.

Runs on SQLite, and on PostgreSQL when ``PORTAL_TEST_POSTGRES_URL`` is set or a server
answers on 127.0.0.1:5432.
"""

from __future__ import annotations

import os
import random
import re
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import insert, select, text

from bench.common import bench_database, percentile, postgres_url, table, write_section
from cantine_harness.portal import migrate
from cantine_harness.school import build_school
from portal_sync_api.api.main import create_app
from portal_sync_api.core.db import make_engine, session_scope
from portal_sync_api.crud.ledger import running_balances
from portal_sync_api.crud.logins import create_login
from portal_sync_api.crud.schools import require_school
from portal_sync_api.models import Family, LedgerEntry
from portal_sync_api.models import table as model_table

CODE = "1849"
PUPILS = 2000
DAY = date(2026, 11, 24)
CHARGES = 20
REQUESTS = 100
EMAIL = "intendance.familles@college1849.fr"
PASSWORD = "mot de passe du banc des familles"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')

Row = tuple[str, str, str, str, str]


def build(url: str) -> tuple[int, int]:
    """The school, its families' charges and an intendance login; returns (families,
    ledger entries added)."""
    migrate(url)
    engine = make_engine(url)
    rng = random.Random(1849)
    try:
        with session_scope(engine) as session:
            build_school(session, code=CODE, pupils=PUPILS, start=DAY, end=DAY)
            create_login(
                session, email=EMAIL, password=PASSWORD, role="intendance", school_code=CODE
            )
        with session_scope(engine) as session:
            families = list(session.execute(select(Family.id)).scalars())
            rows = [
                {
                    "family_id": family,
                    "kind": "meal_charge",
                    "amount_cents": -rng.choice((250, 415, 415, 520)),
                    "reference": f"bench:{family}:{n}",
                    "at": f"2026-11-{1 + n:02d}T11:30:00+00:00",
                }
                for family in families
                for n in range(CHARGES)
            ]
            session.execute(insert(model_table(LedgerEntry)), rows)
        if engine.dialect.name == "postgresql":
            with engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
    finally:
        engine.dispose()
    return len(families), len(rows)


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


def _ms(times: list[float]) -> str:
    return f"{percentile(times, 99) * 1000:.1f} ms (p50 {percentile(times, 50) * 1000:.1f} ms)"


def run(kind: str, directory: Path) -> list[Row]:
    with bench_database(kind, directory, "families", prefix="families_bench") as url:
        families, entries = build(url)
        app = create_app(url)
        try:
            with TestClient(app, base_url="http://127.0.0.1:8000") as client:
                _log_in(client)
                first = client.get("/intendance/familles")
                assert first.status_code == 200
                negatives = re.search(r"(\d+) familles en solde négatif", first.text)
                assert negatives is not None

                def page(path: str) -> Any:
                    def get() -> None:
                        assert client.get(path).status_code == 200

                    return get

                _timed(page("/intendance/familles"), 10)  # warm-up
                list_times = _timed(page("/intendance/familles"), REQUESTS)
                search_times = _timed(page("/intendance/familles?q=mar"), REQUESTS)
                csv_times = _timed(page("/intendance/familles/export/soldes-negatifs.csv"), 3)
            engine = app.state.engine

            def balances() -> None:
                with session_scope(engine) as session:
                    school = require_school(session, code=CODE)
                    keys = list(
                        session.execute(
                            select(Family.id).where(Family.school_id == school.id)
                        ).scalars()
                    )
                    running_balances(session, family_ids=keys)

            _timed(balances, 10)
            ref_times = _timed(balances, REQUESTS)
        finally:
            app.state.engine.dispose()
    ref99 = percentile(ref_times, 99)
    what = f"{kind}: {PUPILS} pupils, {families} families ({negatives.group(1)} negative), "
    what += f"{entries} ledger entries"
    return [
        (
            f"{what}; families list, {REQUESTS} GETs, p99",
            _ms(list_times),
            f"{ref99 * 1000:.1f} ms (every family's balance alone, p99)",
            f"{percentile(list_times, 99) / ref99:.1f}×",
            "< 500 ms p99",
        ),
        (
            f"{kind}: search « mar », {REQUESTS} GETs, p99",
            _ms(search_times),
            "same reference",
            f"{percentile(search_times, 99) / ref99:.1f}×",
            "< 500 ms p99",
        ),
        (
            f"{kind}: negative balances CSV (every negative family's ledger walked), 3 GETs",
            _ms(csv_times),
            "same reference",
            f"{percentile(csv_times, 99) / ref99:.1f}×",
            "—",
        ),
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
        "Intendance's families list",
        f"School of {PUPILS} pupils (build_school), {CHARGES} meal charges per family in the "
        "ledger; the list and a search through the app in process (TestClient, logged in), "
        "beside the balances query the list sorts by; "
        f"{load} ({os.cpu_count()} cores).\n\n" + table(rows),
    )


if __name__ == "__main__":
    main()
