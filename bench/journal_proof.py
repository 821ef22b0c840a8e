"""What the journal proof costs the portal's ingest (docs/design.md §8, « Stations and the
journal proof »): the same meals pushed through ``POST /v1/sync/meals`` by a station
sending its journal links and by one sending none, each into a fresh database of the
small seeded school, through a real uvicorn process on loopback.

Runs on SQLite, and on PostgreSQL when ``PORTAL_TEST_POSTGRES_URL`` is set.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bench.common import table, write_section
from cantine_contract.journal import GENESIS, MEAL_CONTENT, link_hash
from cantine_harness.calendar import school_days
from cantine_harness.portal import portal_database, running_portal, seed_school

BATCH = 500
MEALS = 10_000
PARIS = ZoneInfo("Europe/Paris")


def _meals(children: list[str], families: list[str], linked: bool) -> list[dict[str, Any]]:
    """``MEALS`` meals of the seeded children over past school days, one chain."""
    today = datetime.now(PARIS).date()
    days = [d for d in school_days(date(2025, 9, 1), until=today) if d < today]
    items, prev = [], GENESIS
    for n in range(MEALS):
        day = days[n // len(children) % len(days)]
        child = children[n % len(children)]
        served = datetime(day.year, day.month, day.day, 12, 0, tzinfo=PARIS) + timedelta(
            seconds=n % 3600
        )
        item: dict[str, Any] = {
            "kind": "meal",
            "id": f"bench-{n:07d}",
            "child_id": child,
            "card": None,
            "source": "wedge",
            "service": "dejeuner",
            "business_date": day.isoformat(),
            "served_at": served.isoformat(timespec="seconds"),
            "reason": "reserved",
            "charged_cents": 415,
        }
        if linked:
            entry = {"station": "ligne-1", "family_id": families[0]}
            content = {k: {**item, **entry}[k] for k in MEAL_CONTENT}
            digest = link_hash(prev, "meal", content)
            item["journal"] = {"pos": n + 1, "prev": prev, "hash": digest, "entry": entry}
            prev = digest
        items.append(item)
    return items


@contextlib.contextmanager
def _school(postgres: bool) -> Iterator[tuple[str, list[str], list[str], str]]:
    with portal_database(postgres=postgres) as url:
        school = seed_school(url)
        yield url, school.children, school.families, school.station_token


def _rate(postgres: bool, linked: bool) -> float:
    with _school(postgres) as (url, children, families, token):
        items = _meals(children, families, linked)
        with running_portal(url, migrate_first=False) as portal, portal.client(token) as client:
            started = time.perf_counter()
            for start in range(0, len(items), BATCH):
                answer = client.post("/v1/sync/meals", json={"meals": items[start : start + BATCH]})
                answer.raise_for_status()
            elapsed = time.perf_counter() - started
    return MEALS / elapsed


def run(postgres: bool) -> tuple[str, str, str, str, str]:
    without = _rate(postgres, linked=False)
    with_links = _rate(postgres, linked=True)
    kind = "postgresql" if postgres else "sqlite"
    return (
        f"{kind}: ingest with journal links, meals/s (POST batches of {BATCH}, {MEALS} meals)",
        f"{with_links:,.0f}",
        f"{without:,.0f} (same meals, no links)",
        f"{with_links / without:.2f}",
        "≥ 0.8",
    )


def main() -> None:
    rows = [run(postgres=False)]
    if os.environ.get("PORTAL_TEST_POSTGRES_URL"):
        rows.append(run(postgres=True))
    else:
        rows.append(("postgresql", "skipped", "PORTAL_TEST_POSTGRES_URL not set", "-", "-"))
    write_section("Journal proof at ingest", table(rows))


if __name__ == "__main__":
    main()
