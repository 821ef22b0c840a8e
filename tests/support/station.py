"""The station tests' school, clock constants and config files (plain helpers, no fixtures).

``small_school`` is the school most station tests serve; ``StationDb`` says how the
``db_path`` fixture (``tests/support/fixtures/station.py``) fills a station database, and
``JUST_PULLED`` is the variant of the ops tests (two reserved children, cache pulled now).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from cantine_harness.feeds import FeedBuilder
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


def two_reserved_children() -> FeedBuilder:
    """Two children with a reservation on ``DAY`` and 50 € each: the ops tests' school."""
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


def seed(store: Store, feed: FeedBuilder, *, pulled_at: datetime = NOON) -> None:
    """Apply ``feed`` to ``store`` as one pulled page of line ``ligne-1``."""
    store.apply_page(feed.changes, feed.seq, "ligne-1", pulled_at.isoformat())


@dataclass(frozen=True)
class StationDb:
    """How the ``db_path`` fixture fills the station database of a test."""

    feed: Callable[[], FeedBuilder] = small_school
    """The school seeded into the database."""
    pulled_now: bool = False
    """Whether the cache counts as pulled just now (else at ``NOON``, days in the past)."""
    path: str = "station.db"
    """Where the file goes, relative to the test's ``tmp_path``."""


JUST_PULLED = StationDb(feed=two_reserved_children, pulled_now=True, path="data/station.db")
"""The ops tests' station: a fresh cache (no stale-cache finding), in its own directory."""


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
    """``<name>.toml`` in ``tmp_path`` (mode 640) for a line of school 1849 on ``database``;
    ``readers`` is appended as is (``[[readers]]`` sections)."""
    path = tmp_path / f"{name}.toml"
    path.write_text(
        f'[station]\nname = "{name}"\nschool = "1849"\ndatabase = "{database}"\n{extra_station}'
        f'\n[portal]\nurl = "{url}"\ntoken = "{token}"\ntimeout_seconds = 2.0\n\n{readers}',
        encoding="utf-8",
    )
    path.chmod(0o640)
    return path
