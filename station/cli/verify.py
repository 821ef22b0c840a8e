"""``station verify``: walk the meal journal's hash chain."""

from __future__ import annotations

import argparse
import sys

from station.core.config import StationConfig
from station.core.errors import StationError
from station.store import Store

NAME = "verify"
HELP = "vérifier que le journal des passages est intact (chaîne de hachage)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    del parser


def run(args: argparse.Namespace, config: StationConfig) -> int:
    """Exit 0 when the chain is intact, 1 when it is broken, 2 when the file cannot be read
    (damaged, locked, unreadable): then nothing could be verified."""
    try:
        with Store(config.station.database) as store:
            result = store.verify_journal()
    except StationError as e:
        print(f"{e.title} : {e.message}", file=sys.stderr)
        return 2
    if result.ok:
        print(f"Journal intact : {result.records} enregistrements vérifiés.")
        return 0
    ident = f" (enregistrement {result.record_id})" if result.record_id else ""
    print(f"Journal rompu à la position {result.position}{ident} : {result.problem}")
    return 1
