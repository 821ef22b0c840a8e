"""A deterministic big school for benchmarks and demos.

2 000 pupils of 6e to 3e (classes 6A…3F) with French names, families of one to three
children, some on a forfait, allergies and diets, and a school year of lunch reservations
(about 300 000 rows). The same seed always gives the same school.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from cantine_harness.calendar import school_days
from portal_sync_api.crud.changes import ChangeBuffer
from portal_sync_api.crud.ledger import CreditIn, add_credits
from portal_sync_api.crud.roster import (
    ReservationRow,
    RosterRow,
    import_reservations,
    import_roster,
)
from portal_sync_api.crud.schools import set_school, set_tariff
from portal_sync_api.models import School

FIRST_NAMES = (
    "Léa",
    "Hugo",
    "Chloé",
    "Lucas",
    "Emma",
    "Louis",
    "Manon",
    "Gabriel",
    "Inès",
    "Jules",
    "Camille",
    "Arthur",
    "Zoé",
    "Nathan",
    "Lina",
    "Raphaël",
    "Jade",
    "Adam",
    "Louise",
    "Tom",
    "Sarah",
    "Ethan",
    "Alice",
    "Noah",
    "Clara",
    "Théo",
    "Juliette",
    "Paul",
    "Anaïs",
    "Maël",
    "Lou",
    "Sacha",
    "Rose",
    "Mathis",
    "Ambre",
    "Enzo",
    "Mila",
    "Timéo",
    "Agathe",
    "Hervé",
)
LAST_NAMES = (
    "MARTIN",
    "BERNARD",
    "DUBOIS",
    "THOMAS",
    "ROBERT",
    "RICHARD",
    "PETIT",
    "DURAND",
    "LEROY",
    "MOREAU",
    "SIMON",
    "LAURENT",
    "LEFEBVRE",
    "MICHEL",
    "GARCIA",
    "DAVID",
    "BERTRAND",
    "ROUX",
    "VINCENT",
    "FOURNIER",
    "MOREL",
    "GIRARD",
    "ANDRÉ",
    "LEFÈVRE",
    "MERCIER",
    "DUPONT",
    "LAMBERT",
    "BONNET",
    "FRANÇOIS",
    "MARTINEZ",
    "LEGRAND",
    "GARNIER",
    "FAURE",
    "ROUSSEAU",
    "BLANC",
    "GUÉRIN",
    "MULLER",
    "HENRY",
    "ROUSSEL",
    "NICOLAS",
    "PERRIN",
    "MORIN",
    "MATHIEU",
)
CLASSES = tuple(f"{level}{letter}" for level in "6543" for letter in "ABCDEF")
DIETS = ("sans_porc", "vegetarien", "sans_gluten")
ALLERGIES = ("arachide", "lait", "oeuf", "gluten", "fruits_a_coque")
TARIFFS = {"T1": 250, "T2": 330, "T3": 415, "T4": 480}


@dataclass(frozen=True)
class BigSchool:
    """What was generated, for the caller's assertions and requests."""

    code: str
    children: list[str]
    families: list[str]
    cards: list[str]
    reservations: int


def roster(code: str, pupils: int, rng: random.Random) -> list[RosterRow]:
    """``pupils`` roster rows; siblings share a family and a last name."""
    rows: list[RosterRow] = []
    family_number = 0
    while len(rows) < pupils:
        family_number += 1
        family_id = f"F{code}{family_number:05d}"
        last_name = rng.choice(LAST_NAMES)
        for _ in range(min(rng.choice((1, 1, 1, 2, 2, 3)), pupils - len(rows))):
            n = len(rows) + 1
            level = CLASSES[(n * 7) % len(CLASSES)]
            forfait = rng.random() < 0.15
            rows.append(
                RosterRow(
                    child_id=f"C{code}{n:05d}",
                    last_name=last_name,
                    first_name=rng.choice(FIRST_NAMES),
                    class_name=level,
                    birth_date=date(
                        2011 + "3456".index(level[0]), rng.randint(1, 12), rng.randint(1, 28)
                    ),
                    card_code=f"{code}-{n:05d}",
                    card_status="lost" if rng.random() < 0.01 else "active",
                    regime="forfait" if forfait else "ticket",
                    forfait_days="1245" if forfait else "",
                    tariff=rng.choice(tuple(TARIFFS)),
                    diet=(rng.choice(DIETS),) if rng.random() < 0.1 else (),
                    allergies=(rng.choice(ALLERGIES),) if rng.random() < 0.05 else (),
                    family_id=family_id,
                    family_email=f"famille{family_number}@example.fr",
                    photo=None,
                )
            )
    return rows


def school_with_tariffs(
    session: Session,
    *,
    code: str,
    name: str,
    services: dict[str, tuple[str, str] | None],
    tariffs: dict[str, int],
    timezone: str | None = None,
) -> School:
    """Create or update a school with its services and a lunch price per tariff."""
    school = set_school(session, code=code, name=name, timezone=timezone, services=services)
    buffer = ChangeBuffer()
    for tariff, price in tariffs.items():
        set_tariff(
            session,
            school=school,
            tariff=tariff,
            service="dejeuner",
            price_cents=price,
            buffer=buffer,
        )
    session.flush()
    buffer.flush(session)
    return school


def build_school(
    session: Session,
    *,
    code: str = "1849",
    pupils: int = 2000,
    start: date = date(2026, 9, 1),
    end: date = date(2027, 7, 3),
    reservation_rate: float = 0.85,
    seed: int = 1849,
) -> BigSchool:
    """Create the school and its year in the caller's transaction (about 300 000
    reservations with the defaults). Deterministic for a given seed."""
    rng = random.Random(seed)
    school = school_with_tariffs(
        session,
        code=code,
        name=f"Collège {code}",
        services={"dejeuner": ("11:15", "13:45")},
        tariffs=TARIFFS,
    )
    rows = roster(code, pupils, rng)
    import_roster(session, school=school, rows=rows)
    families = sorted({r.family_id for r in rows if r.family_id})
    add_credits(
        session,
        school=school,
        credits=[
            CreditIn(
                family_id=f, amount_cents=rng.choice((2000, 5000, 10000)), reference=f"INIT-{f}"
            )
            for f in families
        ],
    )
    reservations = [
        ReservationRow(
            child_id=r.child_id,
            day=day,
            service="dejeuner",
            prepaid=r.regime == "ticket" and rng.random() < 0.2,
        )
        for day in school_days(start, until=end)
        for r in rows
        if rng.random() < reservation_rate
    ]
    import_reservations(session, school=school, rows=reservations)
    return BigSchool(
        code=code,
        children=[r.child_id for r in rows],
        families=families,
        cards=[r.card_code for r in rows if r.card_code],
        reservations=len(reservations),
    )
