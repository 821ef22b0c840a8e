"""``station demo``: the whole loop on one machine, no hardware, no configuration.

A real portal process on loopback with a temporary SQLite database, a demo collège 1849
of about 600 pupils (deterministic for a seed), a station token, a station config and
database in the same temporary folder, and one sync so the station's cache is full.
The service window is widened to the whole day so cards can be tried at any hour.

This is harness code (demo data and set-up), not product: ``station demo``'s command
entry point is the only part of ``station/`` that imports it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from cantine_harness.portal import create_station_token, free_port, running_portal
from cantine_harness.sandbox_bank import SandboxBank, running_sandbox_bank
from cantine_harness.school import TARIFFS, roster, school_with_tariffs
from portal_sync_api.core.db import make_engine, session_scope
from portal_sync_api.crud.ledger import CreditIn, add_credits
from portal_sync_api.crud.logins import create_login
from portal_sync_api.crud.roster import ReservationRow, import_reservations, import_roster
from portal_sync_api.crud.schools import set_school
from portal_sync_api.migrate import upgrade
from station.core.config import StationConfig, load_config
from station.core.errors import StationError
from station.core.timeutil import zone
from station.sync.runner import sync_once

SCHOOL = "1849"
SCHOOL_NAME = "Collège Jean Moulin (démo)"
STATION = "ligne-1"
TIMEZONE = "Europe/Paris"
DEMO_WINDOW = ("00:00", "23:59")
SERVICE_NOTE = "démo : ouvert toute la journée"
PRICE_TARIFF = "T3"  # 4,15 €
#: The parents' space login of the family of card 1849-00001 (printed by ``station demo``).
DEMO_PARENT = ("parent@demo.fr", "demo-parent-1849")
#: The intendance's login of the demo school (validates sign-ups).
DEMO_INTENDANCE = ("intendance@demo.fr", "demo-intendance-1849")


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
    #: Where the demo portal writes its e-mails (one ``.eml`` file each), not sent.
    mail_dir: Path | None = None
    #: The sandbox bank the demo's online top-ups go through (no real payment).
    bank_url: str | None = None
    parent_login: tuple[str, str] = DEMO_PARENT
    intendance_login: tuple[str, str] = DEMO_INTENDANCE

    @property
    def family_url(self) -> str:
        """The parents' space, where both logins are used."""
        return f"{self.portal_url}/connexion"


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


def this_week(today: date) -> list[date]:
    """Monday to Sunday of ``today``'s week: the demo reserves every one of them."""
    monday = today - timedelta(days=today.weekday())
    return [monday + timedelta(days=i) for i in range(7)]


def seed_portal(database_url: str, *, today: date, pupils: int = 600, seed: int = 1849) -> None:
    """Create the demo school, roster, credits and this week's reservations."""
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
            # Parents book on the calendar of a school of the Paris area (zone C).
            set_school(session, code=SCHOOL, settings={"holiday_zone": "C"})
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
            add_credits(session, school=school, credits=credits)
            reservations = [
                ReservationRow(child_id=r.child_id, day=day, service="dejeuner", prepaid=False)
                for day in this_week(today)
                for i, r in enumerate(rows, start=1)
                if _ROLES.get(i) != "no_reservation" and (i in _ROLES or rng.random() < 0.85)
            ]
            import_reservations(session, school=school, rows=reservations)
    finally:
        engine.dispose()


def seed_logins(database_url: str) -> None:
    """The demo's web logins: a parent of the family of card ``1849-00001`` and the
    school's intendance, both able to log in at once."""
    engine = make_engine(database_url)
    try:
        with session_scope(engine) as session:
            email, password = DEMO_PARENT
            create_login(
                session, email=email, password=password, role="parent", family_id=f"F{SCHOOL}D1"
            )
            email, password = DEMO_INTENDANCE
            create_login(
                session, email=email, password=password, role="intendance", school_code=SCHOOL
            )
    finally:
        engine.dispose()


@contextlib.contextmanager
def _portal(
    database_url: str, log: Path, mail_dir: Path, bank: SandboxBank | None = None
) -> Iterator[str]:
    """The demo's portal on loopback, writing its e-mails to ``mail_dir`` instead of
    sending them and taking top-ups through the sandbox ``bank``; its failures said in
    French."""
    port = free_port()
    env = {
        "PORTAL_MAIL_DIR": str(mail_dir),
        # Links in the e-mails (password choice) lead back to this very portal.
        "PORTAL_PUBLIC_URL": f"http://127.0.0.1:{port}",
        **(bank.portal_env() if bank is not None else {}),
    }
    try:
        with running_portal(
            database_url, migrate_first=False, timeout=30.0, log=log, port=port, env=env
        ) as portal:
            yield portal.url
    except RuntimeError as e:
        raise DemoError(f"le portail s'est arrêté au démarrage (journal : {log})") from e
    except TimeoutError as e:
        raise DemoError(f"le portail ne répond pas après 30 s ({log})") from e


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
        TryCard(
            card[2], "sans réservation", "REFUSÉ — Pas de réservation (puis F4 : servir quand même)"
        ),
        TryCard(card[3], "carte déclarée perdue", "REFUSÉ — Carte bloquée (perdue)"),
        TryCard(card[4], "solde bas (6,00 €)", "SERVI (orange) — Solde bas"),
        TryCard(card[5], "solde négatif (−3,20 €)", "REFUSÉ — Solde insuffisant : −3,20 €"),
        TryCard(
            card[6],
            "allergie arachide, sans porc",
            "SERVI (violet) — ALLERGIE / PAI, ARACHIDE en grand",
        ),
        TryCard(f"{SCHOOL}-99999", "carte inconnue", "REFUSÉ — Carte inconnue"),
        TryCard("0999-00001", "autre établissement", "REFUSÉ — Carte d'un autre établissement"),
    ]


@contextlib.contextmanager
def demo_station(
    directory: Path, *, pupils: int = 600, seed: int = 1849, now: datetime | None = None
) -> Iterator[DemoStation]:
    """Set the whole demo up in ``directory``; the portal and the sandbox bank stop when
    the block ends."""
    today = (now or datetime.now(zone(TIMEZONE))).astimezone(zone(TIMEZONE)).date()
    database_url = f"sqlite:///{directory / 'portal.db'}"
    upgrade(database_url)
    seed_portal(database_url, today=today, pupils=pupils, seed=seed)
    seed_logins(database_url)
    token = create_station_token(database_url, school=SCHOOL, name=STATION)
    mail_dir = directory / "mails"
    mail_dir.mkdir(exist_ok=True)
    with contextlib.ExitStack() as stack:
        try:
            bank = stack.enter_context(running_sandbox_bank(log=directory / "bank.log"))
        except (RuntimeError, TimeoutError) as e:
            raise DemoError(f"la banque de démonstration ne démarre pas ({directory})") from e
        url = stack.enter_context(_portal(database_url, directory / "portal.log", mail_dir, bank))
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
            mail_dir=mail_dir,
            bank_url=bank.url,
        )
