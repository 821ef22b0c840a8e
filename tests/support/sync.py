"""Stations with their own SQLite files and TOML configs, and what the portal says about a
family or a child (plain helpers of the sync tests, no fixtures)."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from cantine_harness.portal import SEED_DAY, PortalProcess, SeededSchool
from portal_sync_api.core.db import make_engine, session_scope
from portal_sync_api.crud.ledger import CreditIn, add_credits
from portal_sync_api.crud.schools import require_school
from station.core.config import StationConfig, load_config
from station.engine import ServingLine
from station.store import Store, ledger
from tests.support.station import PARIS

NOON = datetime(SEED_DAY.year, SEED_DAY.month, SEED_DAY.day, 12, 0, tzinfo=PARIS)
"""Noon on the seeded school's day (``SEED_DAY``)."""


@dataclass
class Station:
    """One serving line: its config (pointing at the proxy), engine and store path."""

    config: StationConfig
    line: ServingLine

    @property
    def db(self) -> Path:
        """The station's database file."""
        return self.config.station.database

    def balance(self, family_id: str) -> int:
        """The balance the station shows for ``family_id`` (cents)."""
        with self.line.store.read() as conn:
            return ledger.displayed_balance(conn, family_id)

    def pending(self) -> int:
        """Outbox entries neither sent nor rejected yet."""
        with self.line.store.read() as conn:
            row = conn.execute(
                "SELECT COUNT(*) FROM outbox WHERE done_at IS NULL AND rejected_reason IS NULL"
            ).fetchone()
            return int(row[0])

    def close(self) -> None:
        """Close the station's store."""
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
    """Station ``name`` of school 1849 on its own database in ``tmp_path``, syncing with
    the portal at ``url`` with ``token``."""
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


def credit(
    database_url: str, family_id: str, cents: int, reference: str, *, school: str = "1849"
) -> None:
    """Credit ``cents`` to family ``family_id`` of ``school`` in the portal's database (a
    payment ``reference``)."""
    engine = make_engine(database_url)
    try:
        with session_scope(engine) as session:
            add_credits(
                session,
                school=require_school(session, code=school),
                credits=[CreditIn(family_id=family_id, amount_cents=cents, reference=reference)],
            )
    finally:
        engine.dispose()


def portal_balance(portal: PortalProcess, school: SeededSchool, family_id: str) -> int:
    """The family's balance as the portal's intendance API tells it (cents)."""
    with portal.client(school.intendance_token) as client:
        answer = client.get(f"/v1/families/{family_id}/balance")
        answer.raise_for_status()
        return int(answer.json()["balance_cents"])


def portal_meals(
    portal: PortalProcess, school: SeededSchool, child_id: str
) -> list[dict[str, Any]]:
    """The child's meals as the portal's intendance API lists them (at most 100)."""
    with portal.client(school.intendance_token) as client:
        answer = client.get(f"/v1/children/{child_id}/meals", params={"limit": 100})
        answer.raise_for_status()
        return list(answer.json()["meals"])


def full_feed(portal: PortalProcess, token: str) -> list[dict[str, Any]]:
    """Every change of the station feed of ``token``, page after page."""
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


def sync_cli(station: Station) -> subprocess.CompletedProcess[str]:
    """``station sync --once`` run as a user would, on that station's config."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "station.cli",
            "--config",
            str(station.config.path),
            "sync",
            "--once",
        ],
        capture_output=True,
        text=True,
    )
