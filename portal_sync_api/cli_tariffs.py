"""``portal-sync-api`` commands of income-based tariffs and balance notices (docs/design.md
§5): ``school set-brackets``, ``family set-qf`` and ``notices run``."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine

from portal_sync_api.core.db import session_scope
from portal_sync_api.crud.notices import run_pass
from portal_sync_api.crud.qf_bands import set_brackets, set_family_qf
from portal_sync_api.crud.schools import require_school
from portal_sync_api.crud.tariffs_qf import parse_brackets, school_brackets
from portal_sync_api.errors import DataError

# argparse's sub-parsers action has no public type.
SubParsers = Any


def add_parsers(commands: SubParsers, school: SubParsers, common: argparse.ArgumentParser) -> None:
    """Add ``school set-brackets`` to ``school``'s actions, ``family`` and ``notices``."""
    brackets = school.add_parser(
        "set-brackets",
        parents=[common],
        help="tarifs selon le quotient familial d'un service (tranches MIN-MAX:PRIX)",
    )
    brackets.add_argument("code")
    brackets.add_argument("--service", required=True, metavar="CODE")
    brackets.add_argument(
        "brackets",
        metavar="TRANCHES",
        help='ex. "0-699:100,700-999:250,1000-:415" (centimes); « aucune » les retire',
    )

    family = commands.add_parser("family", help="familles").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    set_qf = family.add_parser(
        "set-qf", parents=[common], help="enregistrer le quotient familial d'une famille"
    )
    set_qf.add_argument("--school", required=True, metavar="CODE")
    set_qf.add_argument("--family", required=True, metavar="ID")
    set_qf.add_argument("--qf", required=True, type=int, metavar="N")
    set_qf.add_argument("--from", dest="valid_from", required=True, metavar="AAAA-MM-JJ")
    set_qf.add_argument("--valid-until", required=True, metavar="AAAA-MM-JJ")

    notices = commands.add_parser("notices", help="avis de solde par e-mail").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    run = notices.add_parser(
        "run",
        parents=[common],
        help="envoyer les relances dues et appliquer les quotients qui commencent ou expirent",
    )
    run.add_argument("--at", metavar="ISO", help="instant du passage (défaut : maintenant)")


def _say(message: str) -> None:
    """A line for the person at the terminal (stderr, like ``cli.py``'s messages)."""
    sys.stderr.write(message + "\n")


def _day(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise DataError(field, f"date AAAA-MM-JJ attendue, reçu {value!r}") from None


def run(args: argparse.Namespace, engine: Engine) -> bool:
    """Run the command of ``args`` if it is one of these; False otherwise."""
    if args.command == "school" and args.action == "set-brackets":
        # « aucune » removes the service's brackets (its children go back to the roster's
        # tariff until every service has brackets again).
        parsed = [] if args.brackets.strip().lower() == "aucune" else parse_brackets(args.brackets)
        with session_scope(engine) as session:
            school = require_school(session, code=args.code)
            changed = set_brackets(
                session, school=school, service=args.service, brackets=parsed, actor="cli"
            )
            missing = school_brackets(session, school_id=school.id).missing
        _say(
            f"tranches du service {args.service} ({args.code}) enregistrées : "
            f"{changed} élève(s) changent de tarif",
        )
        if missing and parsed:
            _say(
                "les tarifs selon le quotient familial s'appliqueront quand chaque service "
                f"aura ses tranches ; il manque : {', '.join(missing)}",
            )
        return True
    if args.command == "family" and args.action == "set-qf":
        with session_scope(engine) as session:
            set_family_qf(
                session,
                school=require_school(session, code=args.school),
                family_ref=args.family,
                qf=args.qf,
                valid_from=_day(args.valid_from, "from"),
                valid_until=_day(args.valid_until, "valid_until"),
                actor="cli",
            )
        _say(
            f"quotient familial {args.qf} de la famille {args.family} ({args.school}) "
            f"enregistré du {args.valid_from} au {args.valid_until}",
        )
        return True
    if args.command == "notices" and args.action == "run":
        now = datetime.now(UTC)
        if args.at:
            try:
                now = datetime.fromisoformat(args.at)
            except ValueError:
                raise DataError("at", f"instant ISO-8601 attendu, reçu {args.at!r}") from None
            if now.tzinfo is None:
                raise DataError("at", "instant avec son décalage attendu (ex. +01:00)")
        with session_scope(engine) as session:
            report = run_pass(session, now=now)
        _say(
            f"avis : {report.relances} relance(s) mise(s) en attente d'envoi, "
            f"{report.categories} élève(s) changent de tarif",
        )
        return True
    return False
