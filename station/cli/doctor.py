"""``station doctor``: checks config, database, journal, readers and portal; says what to fix."""

from __future__ import annotations

import argparse

from station.cli.common import emit_json
from station.config import StationConfig
from station.doctor import Level, run_checks

NAME = "doctor"
HELP = "diagnostiquer le poste (configuration, base, lecteurs, portail) et dire quoi corriger"

_MARK = {Level.OK: "[ok]", Level.WARNING: "[!!]", Level.BLOCKING: "[KO]"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="sortie JSON")


def run(args: argparse.Namespace, config: StationConfig) -> int:
    findings = run_checks(config)
    blocking = any(f.level is Level.BLOCKING for f in findings)
    if args.json:
        emit_json(
            [
                {"check": f.check, "level": f.level.value, "detail": f.detail, "fix": f.fix}
                for f in findings
            ]
        )
    else:
        for f in findings:
            print(f"{_MARK[f.level]} {f.check} : {f.detail}")
            if f.fix:
                print(f"      → {f.fix}")
        print("Poste prêt à servir." if not blocking else "Le poste ne peut pas servir.")
    return 1 if blocking else 0
