"""A new station's first pull of a whole school year (docs/design.md §6: full first pull < 5 s).

A 2 000-pupil school with a school year of reservations (~300 000 rows) on a real portal
(uvicorn on loopback, SQLite). Figure: pull and apply every page into a new station
database (each page committed with fsync). Reference, same run: the same pages fetched
over HTTP and parsed, without writing them.
"""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.common import table, write_section
from cantine_harness.portal import create_station_token, running_portal
from cantine_harness.school import build_school
from portal_sync_api.core.db import make_engine, session_scope
from station.store import Store
from station.sync.client import PortalClient
from station.sync.exchange import pull_changes

PAGE = 5000


def _fetch_only(client: PortalClient) -> tuple[float, int]:
    started, since, count = time.perf_counter(), 0, 0
    while True:
        page = client.changes(since, PAGE)
        count += len(page["changes"])
        since = page["next"]
        if not page["more"]:
            return time.perf_counter() - started, count


def main() -> None:
    with running_portal() as portal:
        engine = make_engine(portal.database_url)
        with session_scope(engine) as session:
            big = build_school(session)
        engine.dispose()
        token = create_station_token(portal.database_url)
        client = PortalClient(portal.url, token, timeout=120)
        fetch_seconds, count = _fetch_only(client)
        with tempfile.TemporaryDirectory() as tmp:
            store = Store(Path(tmp) / "station.db")
            started = time.perf_counter()
            result = pull_changes(
                store, client, station="ligne-1", page_size=PAGE, now=datetime.now(UTC)
            )
            pull_seconds = time.perf_counter() - started
            store.close()
        client.close()
    rows = [
        (
            f"station first pull, {result.changes:,} changes in {result.pages} pages",
            f"{pull_seconds:.2f} s",
            f"{fetch_seconds:.2f} s (same pages fetched, not written)",
            f"{pull_seconds / fetch_seconds:.2f}×",
            "< 5 s",
        )
    ]
    write_section(
        "Station first pull",
        f"{len(big.families)} families, {count:,} changes; portal on SQLite on loopback, "
        "sharing the 2 cores with the station.\n\n" + table(rows),
    )


if __name__ == "__main__":
    main()
