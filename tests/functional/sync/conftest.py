"""The sync tests' stations, each with its own SQLite file and TOML config, reaching the
session's real portal (``portal`` and ``school`` from ``tests/support/fixtures/portal.py``)
through a fault-injecting proxy."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cantine_harness.portal import PortalProcess, SeededSchool, create_station_token
from tests.functional.sync.proxy import FaultyProxy
from tests.support.sync import Station, make_station


@pytest.fixture
def proxy(portal: PortalProcess) -> Iterator[FaultyProxy]:
    """A fault-injecting proxy in front of the session's portal (no fault until asked)."""
    with FaultyProxy(int(portal.url.rsplit(":", 1)[1])) as faulty:
        yield faulty


@pytest.fixture
def station(tmp_path: Path, proxy: FaultyProxy, school: SeededSchool) -> Iterator[Station]:
    """Line ``ligne-1`` with the seeded school's station token, syncing through ``proxy``."""
    made = make_station(tmp_path, proxy.url, school.station_token)
    yield made
    made.close()


@pytest.fixture
def second_station(
    tmp_path: Path, proxy: FaultyProxy, school: SeededSchool, portal: PortalProcess
) -> Iterator[Station]:
    """A second line, ``ligne-2``, of the same school with its own token and database."""
    token = create_station_token(portal.database_url, school="1849", name="ligne-2")
    made = make_station(tmp_path, proxy.url, token, name="ligne-2")
    yield made
    made.close()
