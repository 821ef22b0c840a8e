"""``station run``: the Textual serving app, readers from ``[[readers]]``, sync beside it."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from station import logs
from station.cli.common import open_line, school_zone
from station.core.config import ReaderConfig, StationConfig
from station.readers.base import ErrorCallback, Reader, ScanCallback, StatusCallback
from station.readers.factory import build_readers
from station.sync.status import SyncStatus
from station.ui.app import StationApp, SyncRunnerLike, build_app

NAME = "run"
HELP = "lancer le poste de service (écran Textual, lecteurs de la configuration)"

# Without [[readers]] the keyboard is the reader: a wedge scanner or typed codes still work.
DEFAULT_READERS = (ReaderConfig(kind="wedge", options={"name": "clavier"}),)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--export-dir",
        default=None,
        help="dossier des exports CSV du bilan du jour (par défaut « station.export_dir »)",
    )


def station_app(
    config: StationConfig, *, export_dir: Path | None = None, service_note: str = ""
) -> StationApp:
    """The serving app as configured: engine on the database, readers, sync when a portal is set."""
    line = open_line(config)
    readers_config = config.readers or DEFAULT_READERS

    def readers(
        on_scan: ScanCallback, on_error: ErrorCallback, on_status: StatusCallback
    ) -> list[Reader]:
        return build_readers(
            readers_config, on_scan, on_error, on_status=on_status, wedge_input="keys"
        )

    def sync(on_status: Callable[[SyncStatus], None]) -> SyncRunnerLike:
        from station.sync.runner import SyncRunner

        return SyncRunner(config, on_status=on_status)

    return build_app(
        line,
        readers=readers,
        sync=sync if config.portal.url else None,
        tz=school_zone(config),
        school_name=config.station.school_name,
        export_dir=export_dir or config.station.exports,
        stale_after=timedelta(hours=config.station.stale_after_hours),
        service_note=service_note,
    )


def run(args: argparse.Namespace, config: StationConfig) -> int:
    exports = Path(args.export_dir) if args.export_dir else config.station.exports
    app = station_app(config, export_dir=exports)
    try:
        with logs.off_the_screen(config.station.database.parent / "station.log"):
            app.run()
    finally:
        app.line.store.close()
    return 0
