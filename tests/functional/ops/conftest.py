"""The ops tests' station: a fresh cache of two reserved children (``JUST_PULLED``) and an
offline config on it. The real portal (``portal``, ``school``) is the session's one."""

from __future__ import annotations

from pathlib import Path

import pytest

from station.core.config import StationConfig, load_config
from tests.support.station import JUST_PULLED, StationDb, write_config


@pytest.fixture
def station_db() -> StationDb:
    """``db_path`` holds a cache pulled just now, in ``data/`` (no stale-cache finding)."""
    return JUST_PULLED


@pytest.fixture
def config(tmp_path: Path, db_path: Path) -> StationConfig:
    """An offline station (no portal), keyboard as reader."""
    return load_config(write_config(tmp_path, database=db_path))
