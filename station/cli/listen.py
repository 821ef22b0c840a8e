"""``station listen [--seconds N]``: run the configured readers without serving.

For installers: every scan prints one JSON line ``{"source", "raw", "code", "parsed"}``
(``code`` is the normalised card code or null) so a scanner's cable, layout and
terminator can be checked before service. Reader errors go to stderr, in French.
"""

from __future__ import annotations

import argparse
import json
import queue
import sys
import time
from typing import Any

from station.core.cards import parse_card_code
from station.core.config import StationConfig
from station.core.errors import ReaderError
from station.readers.events import ScanEvent
from station.readers.factory import build_readers, close_all, start_all

NAME = "listen"
HELP = "Écoute les lecteurs configurés et affiche chaque code lu (JSON), sans servir de repas."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--seconds",
        type=float,
        default=None,
        help="s'arrêter après N secondes (par défaut : jusqu'à Ctrl+C ou la fin des lecteurs)",
    )


def scan_line(event: ScanEvent) -> dict[str, Any]:
    """The JSON object printed for one scan."""
    card = parse_card_code(event.code)
    return {
        "source": str(event.source),
        "raw": event.code,
        "code": str(card) if card else None,
        "parsed": card is not None,
        "reader": event.reader,
        "at": event.at.isoformat(),
    }


def _show(item: ScanEvent | ReaderError) -> None:
    if isinstance(item, ReaderError):
        print(f"Lecteur : {item.message}", file=sys.stderr, flush=True)
    else:
        print(json.dumps(scan_line(item), ensure_ascii=False), flush=True)


def run(args: argparse.Namespace, config: StationConfig) -> int:
    if not config.readers:
        print("Aucun lecteur configuré : ajoutez une section [[readers]].", file=sys.stderr)
        return 2
    events: queue.Queue[ScanEvent | ReaderError] = queue.Queue()
    readers = build_readers(config.readers, events.put, events.put, wedge_input="stdin")
    deadline = None if args.seconds is None else time.monotonic() + args.seconds
    start_all(readers)
    try:
        while True:
            timeout = 0.1 if deadline is None else min(0.1, deadline - time.monotonic())
            if timeout <= 0:
                break
            try:
                item = events.get(timeout=timeout)
            except queue.Empty:
                if all(r.finished.is_set() for r in readers):
                    break  # every source ended (stdin closed, video file over)
                continue
            _show(item)
    except KeyboardInterrupt:
        pass
    finally:
        close_all(readers)
    # Whatever scans arrived while closing (errors from closing devices are noise).
    while not events.empty():
        item = events.get_nowait()
        if isinstance(item, ScanEvent):
            _show(item)
    return 0
