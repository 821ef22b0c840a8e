"""``--db`` names the database before or after the command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def portal(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "portal_sync_api", *args], capture_output=True, text=True
    )


def test_db_option_after_the_command_selects_the_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'after.db'}"
    assert portal("migrate", "--db", url).returncode == 0
    created = portal("school", "set", "1849", "--name", "Collège", "--db", url)
    assert created.returncode == 0, created.stderr
    token = portal("--db", url, "station", "create", "--school", "1849", "--name", "ligne-1")
    assert token.returncode == 0 and token.stdout.strip()
    assert (tmp_path / "after.db").exists()
