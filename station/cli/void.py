"""``station void MEAL_ID [--at ISO] [--reason TEXT] [--json]``: undo a pass."""

from __future__ import annotations

import argparse

from station.cli.common import emit_json, open_line, parse_at, school_zone
from station.core.config import StationConfig
from station.core.errors import VoidError
from station.core.money import format_euros

NAME = "void"
HELP = "annuler un passage (mauvais élève) dans le délai d'annulation"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("meal_id", help="identifiant du passage")
    parser.add_argument("--at", help="date et heure de l'annulation (ISO-8601)")
    parser.add_argument("--reason", default="", help="motif de l'annulation")
    parser.add_argument("--json", action="store_true", help="sortie JSON")


def run(args: argparse.Namespace, config: StationConfig) -> int:
    tz = school_zone(config)
    at = parse_at(args.at, tz)
    line = open_line(config)
    try:
        result = line.void(args.meal_id, at=at, reason=args.reason)
    except VoidError as e:
        if args.json:
            emit_json(
                {
                    "status": "refused",
                    "reason": e.reason,
                    "message": e.message,
                    "meal_id": args.meal_id,
                }
            )
        else:
            print(f"ANNULATION REFUSÉE — {e.message}")
        return 3
    finally:
        line.store.close()
    if args.json:
        emit_json(result.to_json())
    else:
        print(
            f"ANNULÉ — remboursé {format_euros(result.refund_cents)}, "
            f"solde {format_euros(result.balance_cents)}"
        )
    return 0
