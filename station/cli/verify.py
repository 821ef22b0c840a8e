"""``station verify``: walk the meal journal's hash chain."""

from __future__ import annotations

import argparse

from station.core.config import StationConfig
from station.store import Store

NAME = "verify"
HELP = "vérifier que le journal des passages est intact (chaîne de hachage)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    del parser


def run(args: argparse.Namespace, config: StationConfig) -> int:
    with Store(config.station.database) as store:
        result = store.verify_journal()
    if result.ok:
        print(f"Journal intact : {result.records} enregistrements vérifiés.")
        return 0
    ident = f" (enregistrement {result.record_id})" if result.record_id else ""
    print(f"Journal rompu à la position {result.position}{ident} : {result.problem}")
    return 1
