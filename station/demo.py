"""``station demo``: the whole loop on one machine, no hardware, no configuration.

A real portal process on loopback with a temporary SQLite database, a demo collège 1849
of about 600 pupils (deterministic for a seed), a station token, a station config and
database in the same temporary folder, and one sync so the station's cache is full.
The service window is widened to the whole day so cards can be tried at any hour.

The portal side is imported lazily: the station core never loads SQLAlchemy for this.
"""

from __future__ import annotations

import contextlib
import dataclasses
import random
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import requests

from station.core.config import StationConfig, load_config
from station.core.errors import StationError
from station.core.timeutil import zone

SCHOOL = "1849"
SCHOOL_NAME = "Collège Jean Moulin (démo)"
STATION = "ligne-1"
TIMEZONE = "Europe/Paris"
DEMO_WINDOW = ("00:00", "23:59")
SERVICE_NOTE = "démo : ouvert toute la journée"
PRICE_TARIFF = "T3"  # 4,15 €


class DemoError(StationError):
    """The demo could not be set up (portal did not start, sync failed)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "Démo")


@dataclass(frozen=True)
class TryCard:
    """A card printed before the app opens, with what staff should see."""

    code: str
    name: str
    expect: str


@dataclass
class DemoStation:
    """What :func:`demo_station` set up."""

    config_path: Path
    config: StationConfig
    portal_url: str
    cards: list[TryCard]
    pupils: int
    synced_at: datetime | None = None


# The demo children whose cards are printed: (number, role). Their families are their own
# so their balances say exactly what the printed line promises.
_ROLES = {
    1: "served",
    2: "no_reservation",
    3: "lost",
    4: "low_balance",
    5: "insufficient",
    6: "allergy",
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def this_week(today: date) -> list[date]:
    """Monday to Sunday of ``today``'s week: the demo reserves every one of them."""
    monday = today - timedelta(days=today.weekday())
    return [monday + timedelta(days=i) for i in range(7)]


def seed_portal(database_url: str, *, today: date, pupils: int = 600, seed: int = 1849) -> None:
    """Create the demo school, roster, credits and this week's reservations."""
    from portal_sync_api.core.db import make_engine, session_scope
    from portal_sync_api.crud.ledger import CreditIn, add_credits
    from portal_sync_api.crud.roster import ReservationRow, import_reservations, import_roster
    from portal_sync_api.fixtures import TARIFFS, roster, school_with_tariffs

    rng = random.Random(seed)
    rows = roster(SCHOOL, pupils, rng)
    for n, role in _ROLES.items():
        row = rows[n - 1]
        rows[n - 1] = dataclasses.replace(
            row,
            family_id=f"F{SCHOOL}D{n}",
            family_email=f"demo{n}@example.fr",
            regime="ticket",
            forfait_days="",
            tariff=PRICE_TARIFF,
            card_status="lost" if role == "lost" else "active",
            allergies=("arachide",) if role == "allergy" else (),
            diet=("sans_porc",) if role == "allergy" else (),
        )
    engine = make_engine(database_url)
    try:
        with session_scope(engine) as session:
            school = school_with_tariffs(
                session,
                code=SCHOOL,
                name=SCHOOL_NAME,
                timezone=TIMEZONE,
                services={"dejeuner": DEMO_WINDOW},
                tariffs=TARIFFS,
            )
            import_roster(session, school=school, rows=rows)
            special = {f"F{SCHOOL}D{n}": n for n in _ROLES}
            credits = []
            for family in sorted({r.family_id for r in rows if r.family_id}):
                if family in special:
                    role = _ROLES[special[family]]
                    amount = {"low_balance": 600, "insufficient": 100}.get(role, 5000)
                else:
                    amount = rng.choice((900, 2000, 5000, 10000))
                credits.append(CreditIn(family, amount, f"DEMO-{family}"))
                if (family not in special and rng.random() < 0.04) or family == f"F{SCHOOL}D5":
                    # Families who ate more than they paid: a negative balance.
                    debt = 420 if family == f"F{SCHOOL}D5" else rng.choice((1500, 2500))
                    credits.append(CreditIn(family, -debt, f"DEMO-DEBT-{family}", "adjustment"))
            add_credits(session, credits=credits)
            reservations = [
                ReservationRow(child_id=r.child_id, day=day, service="dejeuner", prepaid=False)
                for day in this_week(today)
                for i, r in enumerate(rows, start=1)
                if _ROLES.get(i) != "no_reservation" and (i in _ROLES or rng.random() < 0.85)
            ]
            import_reservations(session, school=school, rows=reservations)
    finally:
        engine.dispose()


def create_token(database_url: str) -> str:
    from portal_sync_api.core.db import make_engine, session_scope
    from portal_sync_api.crud.accounts import create_station

    engine = make_engine(database_url)
    try:
        with session_scope(engine) as session:
            return create_station(session, school_code=SCHOOL, name=STATION)
    finally:
        engine.dispose()


@contextlib.contextmanager
def portal_process(
    database_url: str, log: Path, *, port: int | None = None, timeout: float = 30.0
) -> Iterator[str]:
    """``portal-sync-api serve`` on loopback (a free port unless given) until the block
    ends; yields its URL."""
    port = port or _free_port()
    url = f"http://127.0.0.1:{port}"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "portal_sync_api", "--db", database_url, "serve"),
                *("--host", "127.0.0.1", "--port", str(port)),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + timeout
            while True:
                if process.poll() is not None:
                    raise DemoError(f"le portail s'est arrêté au démarrage (journal : {log})")
                try:
                    if requests.get(url + "/healthz", timeout=1).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                if time.monotonic() > deadline:
                    raise DemoError(f"le portail ne répond pas après {timeout:.0f} s ({log})")
                time.sleep(0.05)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def write_config(directory: Path, portal_url: str, token: str) -> Path:
    path = directory / "station.toml"
    path.write_text(
        "[station]\n"
        f'name = "{STATION}"\nschool = "{SCHOOL}"\n'
        f'database = "{directory / "station.db"}"\n'
        f'timezone = "{TIMEZONE}"\nschool_name = "{SCHOOL_NAME}"\n\n'
        f'[portal]\nurl = "{portal_url}"\ntoken = "{token}"\nsync_interval_seconds = 10\n\n'
        '[[readers]]\nkind = "wedge"\nname = "clavier"\n',
        encoding="utf-8",
    )
    path.chmod(0o600)
    return path


def try_cards() -> list[TryCard]:
    """The cards printed before the app opens."""
    card = {n: f"{SCHOOL}-{n:05d}" for n in _ROLES}
    return [
        TryCard(card[1], "réservé, solde correct", "SERVI (vert)"),
        TryCard(card[1], "la même carte une 2e fois", "REFUSÉ — Déjà passé à HH:MM"),
        TryCard(card[2], "sans réservation", "REFUSÉ — Pas de réservation"),
        TryCard(card[3], "carte déclarée perdue", "REFUSÉ — Carte bloquée (perdue)"),
        TryCard(card[4], "solde bas (6,00 €)", "SERVI (orange) — Solde bas"),
        TryCard(card[5], "solde négatif (−3,20 €)", "REFUSÉ — Solde insuffisant : −3,20 €"),
        TryCard(card[6], "allergie arachide, sans porc", "SERVI (orange) — ALLERGIE / PAI"),
        TryCard(f"{SCHOOL}-99999", "carte inconnue", "REFUSÉ — Carte inconnue"),
        TryCard("0999-00001", "autre établissement", "REFUSÉ — Carte d'un autre établissement"),
    ]


@contextlib.contextmanager
def demo_station(
    directory: Path, *, pupils: int = 600, seed: int = 1849, now: datetime | None = None
) -> Iterator[DemoStation]:
    """Set the whole demo up in ``directory``; the portal stops when the block ends."""
    from portal_sync_api.migrate import upgrade
    from station.sync.runner import sync_once

    today = (now or datetime.now(zone(TIMEZONE))).astimezone(zone(TIMEZONE)).date()
    database_url = f"sqlite:///{directory / 'portal.db'}"
    upgrade(database_url)
    seed_portal(database_url, today=today, pupils=pupils, seed=seed)
    token = create_token(database_url)
    with portal_process(database_url, directory / "portal.log") as url:
        config_path = write_config(directory, url, token)
        config = load_config(config_path)
        result = sync_once(config)
        if not result.ok:
            raise DemoError(f"première synchronisation impossible : {result.error}")
        yield DemoStation(
            config_path=config_path,
            config=config,
            portal_url=url,
            cards=try_cards(),
            pupils=pupils,
            synced_at=datetime.now(zone(TIMEZONE)),
        )
