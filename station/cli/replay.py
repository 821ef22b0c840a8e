"""``station replay FILE [--json]``: scans from a file, one per line, through the engine.

Each line is ``CODE`` or ``ISO_DATETIME<TAB>CODE``. The whole file is checked first: a
malformed line is reported with its number and nothing is scanned.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from station.cli.common import emit_json, open_line, school_zone
from station.core.config import StationConfig
from station.core.errors import ConfigError
from station.core.models import Source
from station.core.texts import verdict_line
from station.core.timeutil import parse_instant

NAME = "replay"
HELP = "rejouer un fichier de passages (CODE ou DATE<TAB>CODE par ligne)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="fichier texte UTF-8, « - » pour l'entrée standard")
    parser.add_argument("--json", action="store_true", help="un objet JSON par ligne")


def read_lines(path: str, tz: ZoneInfo) -> list[tuple[datetime | None, str]]:
    """The (instant or None, code) pairs of the file; ConfigError naming a bad line."""
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path} : lecture impossible ({e})") from e
    items: list[tuple[datetime | None, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if "\t" in line:
            stamp, code = line.split("\t", 1)
            try:
                at = parse_instant(stamp, tz)
            except ValueError as e:
                raise ConfigError(
                    f"{path} : ligne {number} : date : ISO-8601 attendue, reçu {stamp!r}"
                ) from e
            items.append((at, code))
        else:
            items.append((None, line))
    return items


def run(args: argparse.Namespace, config: StationConfig) -> int:
    tz = school_zone(config)
    items = read_lines(args.file, tz)
    line = open_line(config)
    try:
        for at, code in items:
            verdict = line.scan(code, at=at, source=Source.CLI)
            if args.json:
                emit_json(verdict.to_json())
            else:
                print(verdict_line(verdict, tz), flush=True)
    finally:
        line.store.close()
    return 0
