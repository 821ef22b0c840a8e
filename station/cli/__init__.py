"""``station`` command line (docs/design.md §4): a thin layer over the engine and the store.

Each command lives in its own module exposing ``NAME``, ``HELP``, ``add_arguments`` and
``run(args, config)``. Exit codes: 0 success / served, 3 refused, 2 usage or configuration
error, 1 any other failure (database, portal).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from types import ModuleType

from station import logs
from station.core.config import StationConfig, config_path, load_config
from station.core.errors import ConfigError, StationError

COMMAND_MODULES = (
    "run",
    "demo",
    "scan",
    "replay",
    "void",
    "sync",
    "report",
    "doctor",
    "verify",
    "listen",
    "cards",
    "export",
)

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_REFUSED = 3

# Commands that work without a station configuration file.
NO_CONFIG = {"demo"}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"station : {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def _modules() -> list[ModuleType]:
    found = []
    for name in COMMAND_MODULES:
        try:
            found.append(importlib.import_module(f"station.cli.{name}"))
        except ModuleNotFoundError as e:
            if e.name != f"station.cli.{name}":
                raise
    return found


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, ModuleType]]:
    parser = _Parser(prog="station", description="Poste de self de la cantine.")
    parser.add_argument("--config", help="fichier de configuration TOML (ou $STATION_CONFIG)")
    # ``--config`` is also accepted after the command (``station scan X --config F``).
    common = _Parser(add_help=False)
    common.add_argument("--config", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", metavar="COMMANDE", parser_class=_Parser)
    commands: dict[str, ModuleType] = {}
    for module in _modules():
        command = sub.add_parser(
            module.NAME, help=module.HELP, description=module.HELP, parents=[common]
        )
        module.add_arguments(command)
        commands[module.NAME] = module
    return parser, commands


def main(argv: Sequence[str] | None = None) -> int:
    logs.setup()  # one line per event on stderr (journald); level from $STATION_LOG_LEVEL
    parser, commands = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    module = commands[args.command]
    try:
        config: StationConfig | None = None
        if args.command not in NO_CONFIG:
            config = load_config(config_path(args.config))
        result: int = module.run(args, config)
        return result
    except ConfigError as e:
        print(f"Configuration : {e.message}", file=sys.stderr)
        return EXIT_USAGE
    except StationError as e:
        print(f"{e.title} : {e.message}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
