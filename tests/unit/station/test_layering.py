"""The domain core works without UI, database, network or hardware libraries."""

from __future__ import annotations

import json
import subprocess
import sys

DOMAIN_CORE = [
    "station.core.cards",
    "station.core.clock",
    "station.core.config",
    "station.core.errors",
    "station.core.ids",
    "station.core.texts",
    "station.core.models",
    "station.core.money",
    "station.core.rules",
    "station.core.timeutil",
]
FORBIDDEN = ["textual", "requests", "serial", "cv2", "sqlite3", "sqlite_utils", "_sqlite3"]


def test_domain_core_imports_no_ui_database_network_or_hardware_library() -> None:
    code = (
        "import importlib, json, sys\n"
        f"for name in {DOMAIN_CORE!r}: importlib.import_module(name)\n"
        f"print(json.dumps([m for m in {FORBIDDEN!r} if m in sys.modules]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(out) == []


def test_the_check_itself_detects_a_forbidden_import() -> None:
    code = (
        "import json, sys, station.store\n"
        f"print(json.dumps([m for m in {FORBIDDEN!r} if m in sys.modules]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert "sqlite3" in json.loads(out)
