"""The station CLI's config file, on the seeded database (``db_path``)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def config_path(db_path: Path, tmp_path: Path) -> Path:
    """``station.toml`` of line ``ligne-1`` on ``db_path``, its portal unreachable."""
    path = tmp_path / "station.toml"
    path.write_text(
        f'[station]\nname = "ligne-1"\nschool = "1849"\ndatabase = "{db_path}"\n'
        'timezone = "Europe/Paris"\n\n[portal]\nurl = "http://127.0.0.1:9"\ntoken = "x"\n',
        encoding="utf-8",
    )
    return path
