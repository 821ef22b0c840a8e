"""``station cards print [--class C | --child ID … | --all] --out FILE.pdf``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from station.cards_print import CardFace, school_title, write_sheets
from station.core.config import StationConfig
from station.store import Store, cache
from station.store.cards_read import printable_cards

NAME = "cards"
HELP = "Imprime les cartes de cantine (PDF, format carte bancaire, 10 par page A4)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="cards_action", metavar="ACTION", required=True)
    printing = sub.add_parser(
        "print",
        help="planches de cartes à imprimer depuis le cache local",
        description="Planches de cartes (85,6 × 54 mm, 10 par page A4, traits de coupe).",
    )
    who = printing.add_mutually_exclusive_group(required=True)
    who.add_argument("--class", dest="class_name", metavar="CLASSE", help="une classe, ex. 6B")
    who.add_argument("--child", nargs="+", metavar="ID", help="un ou plusieurs élèves")
    who.add_argument("--all", action="store_true", help="tous les élèves ayant une carte active")
    printing.add_argument("--out", required=True, metavar="FICHIER.pdf", help="PDF à écrire")


def run(args: argparse.Namespace, config: StationConfig) -> int:
    with Store(config.station.database) as store, store.read() as conn:
        cards = printable_cards(conn, class_name=args.class_name, child_ids=args.child)
        pulled = cache.meta(conn, "school_name", "") or ""
    if not cards:
        print("Aucune carte active ne correspond dans le cache local.", file=sys.stderr)
        return 1
    school = school_title(config.station.school_name, pulled, config.station.school)
    faces = [
        CardFace(
            school_name=school,
            child_name=f"{c.child.last_name.upper()} {c.child.first_name}",
            class_name=c.child.class_name,
            code=c.code,
        )
        for c in cards
    ]
    out = Path(args.out)
    pages = write_sheets(faces, out)
    print(f"{len(faces)} carte(s) sur {pages} page(s) : {out}")
    return 0
