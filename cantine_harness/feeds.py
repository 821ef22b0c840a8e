"""Sample schools expressed as portal change feeds (docs/sync-protocol.md).

Used by the test suite, the benchmarks and offline seeding: the same shape the portal
sends, so a seeded cache is indistinguishable from a synced one. Deterministic per seed.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

LAST_NAMES = (
    "MARTIN BERNARD THOMAS PETIT ROBERT RICHARD DURAND DUBOIS MOREAU LAURENT SIMON MICHEL "
    "LEFEBVRE LEROY ROUX DAVID BERTRAND MOREL FOURNIER GIRARD BONNET DUPONT LAMBERT FONTAINE "
    "ROUSSEAU VINCENT MULLER LEFEVRE FAURE ANDRE MERCIER BLANC GUERIN BOYER GARNIER CHEVALIER "
    "FRANCOIS LEGRAND GAUTHIER GARCIA PERRIN ROBIN CLEMENT MORIN NICOLAS HENRY ROUSSEL MATHIEU"
).split()
FIRST_NAMES = (
    "Emma Louise Jade Alice Chloé Lina Léa Rose Anna Mila Inès Ambre Julia Mia Léna Manon "
    "Gabriel Léo Raphaël Arthur Louis Jules Adam Maël Lucas Hugo Noah Liam Sacha Gabin Nathan "
    "Aaron Éloïse Zoé Camille Hervé Timéo Noé Côme Anaïs Maëlys Théo Clément Loïc Françoise"
).split()
ALLERGIES = ("arachide", "gluten", "lait", "oeuf", "fruits_a_coque", "poisson")
DIETS = ("sans_porc", "vegetarien", "sans_viande")
CLASSES = tuple(f"{level}{letter}" for level in "6543" for letter in "ABCDEF")


class FeedBuilder:
    """Accumulates changes with increasing seqs, keeping the latest state per key."""

    def __init__(self, start_seq: int = 0) -> None:
        self.seq = start_seq
        self.changes: list[dict[str, Any]] = []

    def add(self, kind: str, key: str, data: dict[str, Any] | None) -> int:
        self.seq += 1
        self.changes.append({"seq": self.seq, "kind": kind, "key": key, "data": data})
        return self.seq

    def school(
        self,
        code: str,
        name: str = "Collège Jean Moulin",
        services: Iterable[tuple[str, str, str]] = (("dejeuner", "11:15", "13:45"),),
        settings: dict[str, Any] | None = None,
        timezone: str = "Europe/Paris",
    ) -> None:
        self.add("school", code, {"code": code, "name": name, "timezone": timezone})
        self.add("settings", code, settings or {})
        for svc, start, end in services:
            self.add("service", svc, {"code": svc, "start": start, "end": end})

    def tariff(self, tariff: str, service: str, price_cents: int) -> None:
        key = f"{tariff}/{service}"
        self.add("tariff", key, {"tariff": tariff, "service": service, "price_cents": price_cents})

    def child(
        self, child_id: str, card: str | None = None, card_status: str = "active", **fields: Any
    ) -> None:
        data = {
            "id": child_id,
            "last_name": "DUPONT",
            "first_name": "Hervé",
            "class": "6B",
            "birth_date": "2014-03-02",
            "regime": "ticket",
            "forfait_days": [],
            "tariff": "T1",
            "diet": [],
            "allergies": [],
            "family_id": f"F{child_id}",
            "photo": None,
        } | fields
        self.add("child", child_id, data)
        if card:
            self.add("card", card, {"code": card, "child_id": child_id, "status": card_status})

    def reservation(
        self, child_id: str, day: date, service: str = "dejeuner", prepaid: bool = False
    ) -> None:
        key = f"{child_id}/{day.isoformat()}/{service}"
        self.add(
            "reservation",
            key,
            {"child_id": child_id, "date": day.isoformat(), "service": service, "prepaid": prepaid},
        )

    def balance(self, family_id: str, cents: int) -> int:
        return self.add("balance", family_id, {"family_id": family_id, "balance_cents": cents})


def sample_school(
    *,
    code: str = "1849",
    pupils: int = 600,
    days: list[date],
    seed: int = 1849,
    reservation_rate: float = 0.85,
) -> FeedBuilder:
    """A collège of ``pupils`` children (card ``CODE-NNNNN`` = child number) with
    reservations on ``days``; about 5% forfait boarders, 8% allergies, 10% diets, one lost
    card, low and negative balances."""
    rng = random.Random(seed)
    feed = FeedBuilder()
    feed.school(code)
    for tariff, price in (("T1", 415), ("T2", 325), ("T3", 250)):
        feed.tariff(tariff, "dejeuner", price)
    family = 0
    siblings_left = 0
    for n in range(1, pupils + 1):
        if siblings_left == 0:
            family += 1
            siblings_left = rng.choice((1, 1, 1, 2, 2, 3))
            feed.balance(f"F{family:05d}", rng.choice((-800, 450, 1200, 2500, 4000, 8000, 15000)))
        siblings_left -= 1
        child_id = f"C{n:05d}"
        forfait = rng.random() < 0.05
        feed.child(
            child_id,
            card=f"{code}-{n:05d}",
            card_status="lost" if n == 13 else "active",
            last_name=rng.choice(LAST_NAMES),
            first_name=rng.choice(FIRST_NAMES),
            **{"class": rng.choice(CLASSES)},
            regime="forfait" if forfait else "ticket",
            forfait_days=[1, 2, 4, 5] if forfait else [],
            tariff=rng.choice(("T1", "T1", "T1", "T2", "T3")),
            allergies=[rng.choice(ALLERGIES)] if rng.random() < 0.08 else [],
            diet=[rng.choice(DIETS)] if rng.random() < 0.10 else [],
            family_id=f"F{family:05d}",
        )
    for day in days:
        for n in range(1, pupils + 1):
            if rng.random() < reservation_rate:
                feed.reservation(f"C{n:05d}", day, prepaid=rng.random() < 0.1)
    return feed


def pages(changes: list[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    for i in range(0, len(changes), size):
        yield changes[i : i + size]
