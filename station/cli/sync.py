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
    return _run_until_stopped(runner, grace=config.portal.timeout_seconds + 5)


#: The signals that end the loop: systemd's stop and Ctrl-C.
_STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}


def _run_until_stopped(runner: SyncRunner, *, grace: float) -> int:
    """Sync in the runner's thread until SIGTERM or SIGINT; 1 if the loop ended by itself.

    The signals are blocked and waited for here rather than handled: a Python handler runs
    between two bytecodes of the main thread, possibly while it holds the lock of the very
    event the handler sets, and then never returns. Blocked before the thread starts, they
    are blocked in it too (threads inherit the mask), so only this wait receives them.
    """
    signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    runner.start()
    try:
        while runner.is_alive():
            if signal.sigtimedwait(_STOP_SIGNALS, 1.0) is not None:
                return 0
        return 1  # the loop could not start; it logged why
    finally:
        # A cycle under way ends at its next request's timeout at the latest; what it had
        # not committed is rolled back by SQLite and sent again by the next start.
        runner.stop(timeout=grace)
