"""``station export --out FILE``: pending meals and voids in a signed file for the portal.

For a line without network: carry the file to the portal and run
``portal-sync-api import meals FILE``. The entries stay pending here; the next online
sync gets ``duplicate`` for them (nothing is counted twice).
"""

from __future__ import annotations

import argparse
import contextlib
import os
from pathlib import Path

from cantine_contract import offline_export as export
from station.core.clock import SystemClock
from station.core.config import StationConfig
from station.core.errors import ConfigError, StationError
from station.core.timeutil import iso, zone
from station.store import Store, outbox

NAME = "export"
HELP = "écrire les passages non envoyés dans un fichier signé, à importer sur le portail"

# The whole outbox in one file: a week of a big line is a few thousand entries.
_ALL = 10**9


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, type=Path, metavar="FICHIER", help="fichier JSON")


def _write_private(path: Path, text: str) -> None:
    """Write atomically, mode 0600 (the file names children by id)."""
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def run(args: argparse.Namespace, config: StationConfig) -> int:
    if not config.portal.token:
        raise ConfigError(
            f"{config.path}: « portal.token » est vide : il faut le jeton du poste pour signer"
        )
    with Store(config.station.database) as store, store.read() as conn:
        entries = outbox.pending(conn, _ALL)
    now = SystemClock().now().astimezone(zone(config.station.timezone))
    document = export.build(
        station=config.station.name,
        school=config.station.school,
        created_at=iso(now),
        items=[e.payload for e in entries],
        token=config.portal.token,
    )
    try:
        _write_private(args.out, export.dumps(document))
    except OSError as e:
        raise StationError(f"Écriture impossible de {args.out} : {e.strerror}", "Export") from e
    meals = sum(1 for e in entries if e.kind == "meal")
    print(
        f"{meals} passage(s) et {len(entries) - meals} annulation(s) exporté(s) dans {args.out} "
        "(fichier signé).\nSur le portail : portal-sync-api import meals "
        f"{args.out.name}\nIls restent en attente ici : la prochaine synchronisation les "
        "reconnaîtra comme déjà reçus."
    )
    return 0
