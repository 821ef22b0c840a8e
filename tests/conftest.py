"""Fixtures shared by every test folder, each module registered here (plain helpers live
in ``tests/support/*.py`` and are imported; a folder's conftest.py holds only fixtures of
that folder)."""

pytest_plugins = [
    "tests.support.fixtures.station",  # clock, station_db, db_path, line
    "tests.support.fixtures.portal_database",  # portal_db, sqlite_db, postgres_db, engine
    "tests.support.fixtures.portal",  # portal (a running process), school_database, school
    "tests.support.smtp",
    "tests.support.browser",
    "tests.support.web_portal",
]
