"""Stations on temporary files for the ops tests, and one real portal for all of them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from cantine_harness.feeds import FeedBuilder
from cantine_harness.portal import (
    PortalProcess,
    SeededSchool,
    clear_database,
    running_portal,
    seed_school,
)
from station.core.clock import FixedClock
from station.core.config import StationConfig, load_config
from station.doctor import Finding, Level, run_checks
from station.engine import ServingLine
from station.store import Store

PARIS = ZoneInfo("Europe/Paris")
DAY = date(2026, 11, 24)
NOON = datetime(2026, 11, 24, 12, 0, tzinfo=PARIS)


def write_config(
    tmp_path: Path,
    *,
    database: Path,
    url: str = "",
    token: str = "",
    readers: str = "",
    extra_station: str = "",
    name: str = "ligne-1",
) -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(
        f'[station]\nname = "{name}"\nschool = "1849"\ndatabase = "{database}"\n{extra_station}'
        f'\n[portal]\nurl = "{url}"\ntoken = "{token}"\ntimeout_seconds = 2.0\n\n{readers}',
        encoding="utf-8",
    )
    path.chmod(0o640)
    return path


def small_feed() -> FeedBuilder:
    feed = FeedBuilder()
    feed.school("1849")
    feed.tariff("T1", "dejeuner", 415)
    feed.child("C0001", card="1849-00001", family_id="F1")
    feed.reservation("C0001", DAY)
    feed.balance("F1", 5000)
    feed.child("C0002", card="1849-00002", family_id="F2")
    feed.reservation("C0002", DAY)
    feed.balance("F2", 5000)
    return feed


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A station database whose cache was just pulled (pulled_at = now)."""
    path = tmp_path / "data" / "station.db"
    feed = small_feed()
    with Store(path) as store:
        store.apply_page(feed.changes, feed.seq, "ligne-1", datetime.now(PARIS).isoformat())
    return path


@pytest.fixture
def line(db_path: Path) -> Iterator[ServingLine]:
    store = Store(db_path)
    yield ServingLine(
        store, station="ligne-1", school="1849", timezone=PARIS, clock=FixedClock(NOON)
    )
    store.close()


@pytest.fixture
def config(tmp_path: Path, db_path: Path) -> StationConfig:
    """An offline station (no portal), keyboard as reader."""
    return load_config(write_config(tmp_path, database=db_path))


def by_code(findings: list[Finding]) -> dict[str, Finding]:
    return {f.code: f for f in findings}


def doctor(config: StationConfig) -> dict[str, Finding]:
    return by_code(run_checks(config))


def blocking(findings: dict[str, Finding]) -> set[str]:
    return {code for code, f in findings.items() if f.level is Level.BLOCKING}


@pytest.fixture(scope="session")
def portal() -> Iterator[PortalProcess]:
    with running_portal() as process:
        yield process


@pytest.fixture
def school(portal: PortalProcess) -> SeededSchool:
    clear_database(portal.database_url)
    return seed_school(portal.database_url)
