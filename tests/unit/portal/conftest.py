"""Fixtures of the portal unit tests: a database per test on SQLite (and PostgreSQL)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:  # `tests.support` when pytest is not run from the root
    sys.path.insert(0, str(ROOT))

from tests.support.portal_fixtures import (  # noqa: E402, F401
    _postgres_session_db,
    _sqlite_template,
    engine,
    portal_db,
    postgres_db,
    sqlite_db,
)
