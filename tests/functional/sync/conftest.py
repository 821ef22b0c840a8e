"""A real portal process on loopback, reached through a fault-injecting proxy, and
stations with their own SQLite files and TOML configs."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from cantine_harness.portal import (
    SEED_DAY,
    PortalProcess,
    SeededSchool,
    clear_database,
    create_station_token,
    running_portal,
    seed_school,
)
from portal_sync_api.core.db import make_engine, session_scope
from portal_sync_api.crud.ledger import CreditIn, add_credits
from station.core.config import StationConfig, load_config
from station.engine import ServingLine
from station.store import Store, ledger
from tests.functional.sync.proxy import FaultyProxy

PARIS = ZoneInfo("Europe/Paris")
NOON = datetime(SEED_DAY.year, SEED_DAY.month, SEED_DAY.day, 12, 0, tzinfo=PARIS)


@pytest.fixture(scope="module")
def portal() -> Iterator[PortalProcess]:
    with running_portal() as process:
        yield process


@pytest.fixture
def school(portal: PortalProcess) -> SeededSchool:
    clear_database(portal.database_url)
    return seed_school(portal.database_url)


@pytest.fixture
def proxy(portal: PortalProcess) -> Iterator[FaultyProxy]:
    with FaultyProxy(int(portal.url.rsplit(":", 1)[1])) as faulty:
        yield faulty


@dataclass
class Station:
    """One serving line: its config (pointing at the proxy), engine and store path."""

    config: StationConfig
    line: ServingLine

    @property
    def db(self) -> Path:
        return self.config.station.database

    def balance(self, family_id: str) -> int:
        with self.line.store.read() as conn:
            return ledger.displayed_balance(conn, family_id)

    def pending(self) -> int:
        with self.line.store.read() as conn:
            row = conn.execute(
                "SELECT COUNT(*) FROM outbox WHERE done_at IS NULL AND rejected_reason IS NULL"
            ).fetchone()
            return int(row[0])

    def close(self) -> None:
        self.line.store.close()


def make_station(
    tmp_path: Path,
    url: str,
    token: str,
    *,
    name: str = "ligne-1",
    timeout: float = 2.0,
    page_size: int = 5000,
    interval: int = 10,
) -> Station:
    path = tmp_path / f"{name}.toml"
    path.write_text(
        f'[station]\nname = "{name}"\nschool = "1849"\ndatabase = "{tmp_path / name}.db"\n'
        f'[portal]\nurl = "{url}"\ntoken = "{token}"\ntimeout_seconds = {timeout}\n'
        f"page_size = {page_size}\nsync_interval_seconds = {interval}\n",
        encoding="utf-8",
    )
    config = load_config(path)
    line = ServingLine(Store(config.station.database), station=name, school="1849", timezone=PARIS)
    return Station(config, line)


@pytest.fixture
def station(tmp_path: Path, proxy: FaultyProxy, school: SeededSchool) -> Iterator[Station]:
    made = make_station(tmp_path, proxy.url, school.station_token)
    yield made
    made.close()


@pytest.fixture
def second_station(
    tmp_path: Path, proxy: FaultyProxy, school: SeededSchool, portal: PortalProcess
) -> Iterator[Station]:
    token = create_station_token(portal.database_url, school="1849", name="ligne-2")
    made = make_station(tmp_path, proxy.url, token, name="ligne-2")
    yield made
    made.close()


def credit(database_url: str, family_id: str, cents: int, reference: str) -> None:
    engine = make_engine(database_url)
    try:
        with session_scope(engine) as session:
            add_credits(
                session,
                credits=[CreditIn(family_id=family_id, amount_cents=cents, reference=reference)],
            )
    finally:
        engine.dispose()


def portal_balance(portal: PortalProcess, school: SeededSchool, family_id: str) -> int:
    with portal.client(school.intendance_token) as client:
        answer = client.get(f"/v1/families/{family_id}/balance")
        answer.raise_for_status()
        return int(answer.json()["balance_cents"])


def portal_meals(portal: PortalProcess, school: SeededSchool, child_id: str) -> list[dict]:
    with portal.client(school.intendance_token) as client:
        answer = client.get(f"/v1/children/{child_id}/meals", params={"limit": 100})
        answer.raise_for_status()
        return list(answer.json()["meals"])


def full_feed(portal: PortalProcess, token: str) -> list[dict]:
    changes, since = [], 0
    while True:
        page = httpx.get(
            portal.url + "/v1/sync/changes",
            params={"since": since, "limit": 5000},
            headers={"Authorization": f"Bearer {token}"},
        ).json()
        changes += page["changes"]
        since = page["next"]
        if not page["more"]:
            return changes


def day_at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=PARIS)
