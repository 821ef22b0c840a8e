"""``station report --day YYYY-MM-DD [--format table|csv|json]``."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, date, datetime

from station.cli.common import emit_json
from station.core.config import StationConfig
from station.core.errors import ConfigError
from station.core.models import DayScope
from station.core.timeutil import zone
from station.report import as_csv, as_table, to_json
from station.store import Store
from station.store.day import day_summary

NAME = "report"
HELP = "bilan de la journée sur cette ligne (servis, refus par motif, montants)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--day", required=True, help="jour AAAA-MM-JJ")
    parser.add_argument("--format", choices=("table", "csv", "json"), default="table")
    parser.add_argument(
        "--scope",
        choices=[s.value for s in DayScope],
        default=DayScope.LINE.value,
        help="line : cette ligne (défaut) ; school : toutes les lignes connues de ce poste",
    )


def run(args: argparse.Namespace, config: StationConfig) -> int:
    try:
        day = date.fromisoformat(args.day)
    except ValueError as e:
        raise ConfigError(f"--day : date AAAA-MM-JJ attendue, reçu {args.day!r}") from e
    with Store(config.station.database) as store, store.read() as conn:
        report = day_summary(
            conn,
            day,
            station=config.station.name,
            scope=DayScope(args.scope),
            now=datetime.now(UTC),
            tz=zone(config.station.timezone),
        )
    if args.format == "json":
        emit_json(to_json(report))
    elif args.format == "csv":
        sys.stdout.write("\ufeff" + as_csv(report))
    else:
        print(as_table(report))
    return 0
