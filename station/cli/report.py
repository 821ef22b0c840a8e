"""``station report --day YYYY-MM-DD [--format table|csv|json]``."""

from __future__ import annotations

import argparse
import sys
from datetime import date

from station.cli.common import emit_json
from station.core.config import StationConfig
from station.core.errors import ConfigError
from station.report import as_csv, as_table, day_report
from station.store import Store

NAME = "report"
HELP = "bilan de la journée sur cette ligne (servis, refus par motif, montants)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--day", required=True, help="jour AAAA-MM-JJ")
    parser.add_argument("--format", choices=("table", "csv", "json"), default="table")


def run(args: argparse.Namespace, config: StationConfig) -> int:
    try:
        day = date.fromisoformat(args.day)
    except ValueError as e:
        raise ConfigError(f"--day : date AAAA-MM-JJ attendue, reçu {args.day!r}") from e
    with Store(config.station.database) as store, store.read() as conn:
        report = day_report(conn, day, config.station.name)
    if args.format == "json":
        emit_json(report.to_json())
    elif args.format == "csv":
        sys.stdout.write("\ufeff" + as_csv(report))
    else:
        print(as_table(report))
    return 0
