"""Fixtures of the portal unit tests: a database per test on SQLite (and PostgreSQL)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:  # `tests.support` when pytest is not run from the root
    sys.path.insert(0, str(ROOT))

from portal_sync_api.core.db import make_engine  # noqa: E402
from tests.support.portal_fixtures import (  # noqa: E402, F401
    _postgres_session_db,
    _sqlite_template,
    portal_db,
    postgres_db,
    sqlite_db,
)


@pytest.fixture
def engine(portal_db: str) -> Iterator[Engine]:  # noqa: F811
    """An engine on the test's database, disposed afterwards."""
    engine = make_engine(portal_db)
    yield engine
    engine.dispose()
