"""``station scan CODE | --manual CHILD_ID [--at ISO] [--json]``: one pass through the engine."""

from __future__ import annotations

import argparse
from datetime import datetime

from station.cli.common import emit_json, open_line, parse_at, school_zone
from station.core.config import StationConfig
from station.core.errors import ConfigError, UnknownChildError
from station.core.models import Reason, Source, Status, Verdict
from station.core.texts import verdict_line
from station.engine import ServingLine

NAME = "scan"
HELP = "passer une carte (ou --manual ID pour un élève sans carte) et afficher le verdict"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("code", nargs="?", help="code lu sur la carte, ex. 1849-01234")
    parser.add_argument("--manual", metavar="CHILD_ID", help="servir un élève sans sa carte")
    parser.add_argument("--at", help="date et heure du passage (ISO-8601), par défaut maintenant")
    parser.add_argument("--json", action="store_true", help="sortie JSON (un objet)")


def _unknown_child(line: ServingLine, at: datetime | None) -> Verdict:
    """The refusal of a manual serve naming a child the cache does not know: a verdict like
    any other (exit 3), not a usage error; nothing is journalled."""
    moment = at or line.clock.now()
    return Verdict(
        status=Status.REFUSED,
        reason=Reason.UNKNOWN_CHILD,
        business_date=line.business_date(moment),
        source=Source.MANUAL,
        scanned_at=moment.astimezone(line.tz),
        station=line.station,
    )


def run(args: argparse.Namespace, config: StationConfig) -> int:
    if (args.code is None) == (args.manual is None):
        raise ConfigError("indiquez soit un CODE, soit --manual CHILD_ID")
    tz = school_zone(config)
    at = parse_at(args.at, tz)
    line = open_line(config)
    try:
        if args.manual is not None:
            try:
                verdict = line.serve_manual(args.manual, at=at)
            except UnknownChildError:
                verdict = _unknown_child(line, at)
                if not args.json:
                    print(f"{verdict_line(verdict, tz)} : {args.manual}")
                    return 3
        else:
            verdict = line.scan(args.code, at=at, source=Source.CLI)
    finally:
        line.store.close()
    if args.json:
        emit_json(verdict.to_json())
    else:
        print(verdict_line(verdict, tz))
    return 0 if verdict.served else 3
