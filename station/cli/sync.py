"""``station sync [--once]``: push the outbox and pull changes from the portal."""

from __future__ import annotations

import argparse
import signal
import sys

from station.core.config import StationConfig
from station.core.errors import ConfigError
from station.sync.runner import SyncResult, SyncRunner, sync_once

NAME = "sync"
HELP = "envoyer les passages au portail et recevoir les changements (--once : une fois)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--once",
        action="store_true",
        help="une seule synchronisation ; code 0 si réussie, 1 si le portail est injoignable",
    )


def _report(result: SyncResult) -> None:
    if result.ok:
        print(
            f"Synchronisé : {result.push.acknowledged} passage(s) envoyé(s), "
            f"{result.push.rejected} rejeté(s), {result.pull.changes} changement(s) reçu(s).",
            flush=True,
        )
    else:
        print(
            f"Échec de la synchronisation : {result.error} "
            f"({result.push.acknowledged} passage(s) envoyé(s) avant l'échec ; rien n'est perdu).",
            file=sys.stderr,
            flush=True,
        )


def run(args: argparse.Namespace, config: StationConfig) -> int:
    if not config.portal.url:
        raise ConfigError(f"{config.path}: « portal.url » est vide : aucun portail à joindre")
    if args.once:
        result = sync_once(config)
        _report(result)
        return 0 if result.ok else 1
    runner = SyncRunner(config, on_status=lambda _status: None, on_result=_report)
    signal.signal(signal.SIGTERM, lambda *_: runner.stop())
    try:
        runner.run()
    except KeyboardInterrupt:
        runner.stop()
    return 0
