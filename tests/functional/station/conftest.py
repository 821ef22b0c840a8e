"""A small school seeded into a real station database file, and its config file."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from cantine_harness.feeds import FeedBuilder
from station.core.clock import FixedClock
from station.engine import ServingLine
from station.store import Store

PARIS = ZoneInfo("Europe/Paris")
DAY = date(2026, 11, 24)  # a Tuesday
NOON = datetime(2026, 11, 24, 12, 0, tzinfo=PARIS)


def small_school() -> FeedBuilder:
    """Children named after what happens to them at the line."""
    feed = FeedBuilder()
    feed.school("1849", settings={"low_balance_threshold_cents": 3000})
    feed.tariff("T1", "dejeuner", 415)
    feed.child("C0001", card="1849-00001", family_id="F1", last_name="RESERVE", first_name="Rémi")
    feed.reservation("C0001", DAY)
    feed.balance("F1", 5000)
    feed.child("C0002", card="1849-00002", family_id="F2", last_name="SANSRESA", first_name="Sam")
    feed.balance("F2", 5000)
    feed.child(
        "C0003",
        card="1849-00003",
        card_status="lost",
        family_id="F3",
        last_name="PERDU",
        first_name="Paul",
    )
    feed.reservation("C0003", DAY)
    feed.child("C0004", card="1849-00004", family_id="F4", last_name="PAUVRE", first_name="Pia")
    feed.reservation("C0004", DAY)
    feed.balance("F4", 100)
    feed.child(
        "C0005",
        card="1849-00005",
        family_id="F5",
        last_name="ALLERGIQUE",
        first_name="Alix",
        allergies=["arachide"],
        diet=["sans_porc"],
    )
    feed.reservation("C0005", DAY)
    feed.balance("F5", 3200)
    feed.child("C0006", card="1849-00006", family_id="F1", last_name="RESERVE", first_name="Rose")
    feed.reservation("C0006", DAY)
    feed.child(
        "C0007",
        card="1849-00007",
        family_id="F7",
        last_name="INTERNE",
        first_name="Inès",
        regime="forfait",
        forfait_days=[1, 2, 4, 5],
    )
    feed.balance("F7", -500)
    return feed


def seed(store: Store, feed: FeedBuilder) -> None:
    store.apply_page(feed.changes, feed.seq, "ligne-1", NOON.isoformat())


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    path = tmp_path / "station.db"
    with Store(path) as store:
        seed(store, small_school())
    return path


@pytest.fixture
def line(db_path: Path) -> Iterator[ServingLine]:
    store = Store(db_path)
    yield ServingLine(
        store, station="ligne-1", school="1849", timezone=PARIS, clock=FixedClock(NOON)
    )
    store.close()


@pytest.fixture
def config_path(db_path: Path, tmp_path: Path) -> Path:
    path = tmp_path / "station.toml"
    path.write_text(
        f'[station]\nname = "ligne-1"\nschool = "1849"\ndatabase = "{db_path}"\n'
        'timezone = "Europe/Paris"\n\n[portal]\nurl = "http://127.0.0.1:9"\ntoken = "x"\n',
        encoding="utf-8",
    )
    return path
