"""Station → portal round trips (docs/design.md §6).

1. 10 000 meals served at a station, pushed from its outbox until all are ``applied`` on a
   real portal (uvicorn on loopback, SQLite): meals/s, beside the portal's own ingest
   figure measured in the same run (the same number of meals POSTed directly in batches
   of 500, no station work).
2. A credit recorded on the portal → visible in the station's displayed balance, with
   the background runner at ``sync_interval_seconds = 10``: worst and mean of a few
   samples, beside one bare ``sync_once`` round trip measured in the same run.
"""

from __future__ import annotations

import random
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

from bench.common import mean, table, write_section
from cantine_harness.portal import create_station_token, running_portal
from cantine_harness.school import build_school
from portal_sync_api.core.db import make_engine, session_scope
from portal_sync_api.crud.ledger import CreditIn, add_credits
from portal_sync_api.crud.schools import require_school, set_school
from station.core.config import StationConfig, load_config
from station.engine import ServingLine
from station.store import Store, ledger
from station.sync.client import PortalClient
from station.sync.exchange import pull_changes, push_outbox
from station.sync.runner import SyncRunner, sync_once

PARIS = ZoneInfo("Europe/Paris")
MEALS = 10_000
PUPILS = 2_000
START = date(2026, 9, 7)  # a Monday
SAMPLES = 3


def _config(directory: Path, url: str, token: str, name: str, interval: int) -> StationConfig:
    path = directory / f"{name}.toml"
    path.write_text(
        f'[station]\nname = "{name}"\nschool = "1849"\ndatabase = "{directory / name}.db"\n'
        f'[portal]\nurl = "{url}"\ntoken = "{token}"\nsync_interval_seconds = {interval}\n',
        encoding="utf-8",
    )
    return load_config(path)


def _school(database_url: str) -> list[str]:
    engine = make_engine(database_url)
    with session_scope(engine) as session:
        big = build_school(session, pupils=PUPILS, start=START, end=START + timedelta(days=7))
        set_school(
            session,
            code="1849",
            settings={
                "unreserved_policy": "allow",
                "overdraft_limit_cents": 10_000_000,
                "max_meals_per_service": 99,
            },
        )
    engine.dispose()
    return list(big.families)


def _credit(database_url: str, family: str, cents: int) -> None:
    engine = make_engine(database_url)
    with session_scope(engine) as session:
        add_credits(
            session,
            school=require_school(session, code="1849"),
            credits=[
                CreditIn(family_id=family, amount_cents=cents, reference=f"BENCH-{uuid.uuid4()}")
            ],
        )
    engine.dispose()


def _direct_ingest(url: str, token: str, child_ids: list[str]) -> float:
    """The portal's own ingest rate for MEALS meals posted straight over HTTP."""
    items = []
    for n in range(MEALS):
        day = START + timedelta(days=14 + n // len(child_ids))
        items.append(
            {
                "kind": "meal",
                "id": str(uuid.uuid4()),
                "child_id": child_ids[n % len(child_ids)],
                "card": None,
                "source": "wedge",
                "service": "dejeuner",
                "business_date": day.isoformat(),
                "served_at": f"{day}T12:00:00+02:00",
                "reason": "unreserved",
                "charged_cents": 415,
            }
        )
    with httpx.Client(
        base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60
    ) as client:
        started = time.perf_counter()
        for i in range(0, len(items), 500):
            client.post("/v1/sync/meals", json={"meals": items[i : i + 500]}).raise_for_status()
        return MEALS / (time.perf_counter() - started)


def main() -> None:
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp, running_portal() as portal:
        directory = Path(tmp)
        families = _school(portal.database_url)
        token = create_station_token(portal.database_url, name="ligne-1")
        config = _config(directory, portal.url, token, "ligne-1", 10)
        store = Store(config.station.database)
        client = PortalClient(portal.url, token, timeout=60)
        pull_changes(store, client, station="ligne-1", page_size=5000, now=datetime.now(PARIS))
        line = ServingLine(store, station="ligne-1", school="1849", timezone=PARIS)
        served = 0
        day = 0
        child_ids: list[str] = []
        while served < MEALS:
            at = datetime(START.year, START.month, START.day, 12, tzinfo=PARIS) + timedelta(
                days=day
            )
            for n in range(1, PUPILS + 1):
                verdict = line.scan(f"1849-{n:05d}", at=at)
                if verdict.served:
                    served += 1
                    if verdict.child and len(child_ids) < PUPILS:
                        child_ids.append(verdict.child.id)
                if served >= MEALS:
                    break
            day += 1
        started = time.perf_counter()
        pushed = push_outbox(store, client, batch_size=500, now=datetime.now(PARIS))
        push_rate = pushed.acknowledged / (time.perf_counter() - started)
        ingest_rate = _direct_ingest(
            portal.url, create_station_token(portal.database_url, name="ligne-ref"), child_ids
        )

        started = time.perf_counter()
        sync_once(config)
        bare = time.perf_counter() - started
        runner = SyncRunner(config, on_status=lambda _s: None)
        runner.start()
        latencies = []
        family = families[0]
        with store.read() as conn:
            shown = ledger.displayed_balance(conn, family)
        for _ in range(SAMPLES):
            time.sleep(rng.uniform(0.0, 10.0))
            _credit(portal.database_url, family, 1000)
            credited = time.perf_counter()
            shown += 1000
            while True:
                with store.read() as conn:
                    if ledger.displayed_balance(conn, family) == shown:
                        break
                time.sleep(0.02)
            latencies.append(time.perf_counter() - credited)
        runner.stop()
        store.close()
        client.close()
    rows = [
        (
            "outbox → applied (10 000 meals)",
            f"{push_rate:,.0f} meals/s",
            f"{ingest_rate:,.0f} meals/s (portal ingest alone)",
            f"{push_rate / ingest_rate:.2f}×",
            "≥ 5 000 meals/s",
        ),
        (
            "credit → visible at station, worst of 3",
            f"{max(latencies):.1f} s",
            f"{bare * 1000:.0f} ms (one sync round trip)",
            f"{max(latencies) / bare:.0f}×",
            "≤ 15 s at 10 s interval",
        ),
        ("credit → visible at station, mean", f"{mean(latencies):.1f} s", "—", "—", "—"),
    ]
    write_section(
        "Sync round trip",
        f"Portal on SQLite, uvicorn on loopback; {served} meals served at the station first; "
        f"runner at sync_interval_seconds = 10.\n\n" + table(rows),
    )


if __name__ == "__main__":
    main()
