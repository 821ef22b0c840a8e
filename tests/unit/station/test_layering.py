"""The layers stay apart: a pure domain core, a UI that reads through the engine, and a
station and a portal that share only the contract module (and the demo harness).
"""

from __future__ import annotations

import ast
import json
import pkgutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import station.core

ROOT = Path(__file__).resolve().parents[3]
FORBIDDEN_IN_CORE = [
    "textual",
    "requests",
    "serial",
    "cv2",
    "sqlite3",
    "sqlite_utils",
    "_sqlite3",
    "evdev",
    "pyzbar",
    "zxingcpp",
    "sqlalchemy",
    "httpx",
]


def core_modules() -> list[str]:
    """Every module of ``station/core``, found on disk (no hand-kept list)."""
    return sorted(
        f"station.core.{m.name}"
        for m in pkgutil.iter_modules(station.core.__path__)
        if not m.name.startswith("_")
    )


def loaded_after_importing(modules: list[str]) -> list[str]:
    code = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        f"print(json.dumps([m for m in {FORBIDDEN_IN_CORE!r} if m in sys.modules]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    loaded: list[str] = json.loads(out)
    return loaded


def imported_names(source: str) -> Iterator[str]:
    """Absolute module names a Python source imports (``from x import y`` gives ``x.y``
    too, so ``from station import store`` is seen as ``station.store``)."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def violations(
    folder: str, forbidden: tuple[str, ...], allowed: set[str] = frozenset()
) -> list[str]:  # type: ignore[assignment]
    """``file: module`` for each import of a ``forbidden`` package under ``folder``."""
    found = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel in allowed:
            continue
        for name in imported_names(path.read_text(encoding="utf-8")):
            if any(name == f or name.startswith(f + ".") for f in forbidden):
                found.append(f"{rel}: {name}")
    return found


def test_core_folder_is_found_whole() -> None:
    assert {"station.core.cards", "station.core.rules", "station.core.texts"} <= set(core_modules())


def test_domain_core_imports_no_ui_database_network_or_hardware_library() -> None:
    assert loaded_after_importing(core_modules()) == []


def test_the_check_itself_detects_a_forbidden_import() -> None:
    assert "sqlite3" in loaded_after_importing(["station.store"])


def test_ui_reads_through_the_engine_never_the_store() -> None:
    assert violations("station/ui", ("station.store",)) == []


def test_station_never_imports_the_portal_nor_the_harness() -> None:
    # The ``station demo`` command is the one door to the demo harness.
    assert (
        violations(
            "station", ("portal_sync_api", "cantine_harness"), frozenset({"station/cli/demo.py"})
        )
        == []
    )


def test_portal_never_imports_the_station_nor_the_harness() -> None:
    assert violations("portal_sync_api", ("station", "cantine_harness")) == []


def test_contract_imports_neither_side() -> None:
    assert violations("cantine_contract", ("station", "portal_sync_api", "cantine_harness")) == []


def test_the_import_scan_sees_every_form_of_import() -> None:
    source = (
        "import station.store.cache\n"
        "from station import store\n"
        "from station.store import Store\n"
        "from . import local\n"
    )
    names = set(imported_names(source))
    assert {"station.store.cache", "station.store", "station.store.Store"} <= names
    assert not any(n.endswith("local") for n in names)


def test_station_commands_start_without_loading_the_portal() -> None:
    # Every command module is imported to build the parser; only ``station demo`` may
    # bring SQLAlchemy and Alembic in, and only when it runs.
    code = (
        "import json, sys, station.cli\n"
        "station.cli.build_parser()\n"
        "print(json.dumps([m for m in ('sqlalchemy', 'alembic', 'portal_sync_api',"
        " 'cantine_harness') if m in sys.modules]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(out) == []
