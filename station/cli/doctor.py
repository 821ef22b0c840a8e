"""``station doctor``: checks config, database, journal, readers and portal; says what to fix.

Run it as the station user (``sudo -u cantine station doctor``). Exit 0 when the line
can serve (warnings included), 1 when a finding blocks serving.
"""

from __future__ import annotations

import argparse

from station.cli.common import emit_json
from station.core.config import StationConfig
from station.doctor import Level, blocking, run_checks

NAME = "doctor"
HELP = "diagnostiquer le poste (configuration, base, lecteurs, portail) et dire quoi corriger"

_MARK = {Level.OK: "[ok]", Level.WARNING: "[!!]", Level.BLOCKING: "[KO]"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="sortie JSON")


def run(args: argparse.Namespace, config: StationConfig) -> int:
    findings = run_checks(config)
    stop = blocking(findings)
    if args.json:
        emit_json(
            [
                {
                    "check": f.check,
                    "level": f.level.value,
                    "detail": f.detail,
                    "fix": f.fix,
                    "code": f.code,
                }
                for f in findings
            ]
        )
    else:
        for f in findings:
            print(f"{_MARK[f.level]} {f.check} : {f.detail}")
            if f.fix and f.level is not Level.OK:
                print(f"      → à faire : {f.fix}")
        warnings = sum(1 for f in findings if f.level is Level.WARNING)
        if stop:
            print("Le poste ne peut pas servir : corrigez les points [KO] ci-dessus.")
        elif warnings:
            print(f"Poste prêt à servir, avec {warnings} point(s) à surveiller [!!].")
        else:
            print("Poste prêt à servir.")
    return 1 if stop else 0
