"""The portal killed at any instant loses nothing.

A real ``portal-sync-api serve`` (SQLite, and PostgreSQL when ``PORTAL_TEST_POSTGRES_URL``
is set) is SIGKILLed at random instants and restarted on the same port and database while
two stations scan, void, push and pull and credits are imported. Afterwards every station
meal and void is at the portal exactly once, every ledger entry has its cause, balances
agree everywhere and no station skipped a feed seq (tests/support/crash_checks.py).

``PORTAL_CRASH_ROUNDS`` sets the kills (30 by default), ``PORTAL_CRASH_WORKERS_ROUNDS``
those of the ``--workers 2`` run (2 by default: each restart spawns two fresh
interpreters), ``PORTAL_CRASH_SEED`` the seed (printed). ``bench/portal_crash.py`` runs
1 000 kills by hand.
"""

from __future__ import annotations

import os
from pathlib import Path

from tests.support.portal_crash import CrashFigures, crash_rounds, crash_seed, run_portal_crash

ROUNDS = crash_rounds(30)
WORKERS_ROUNDS = int(os.environ.get("PORTAL_CRASH_WORKERS_ROUNDS") or 2)


def assert_nothing_lost(figures: CrashFigures, rounds: int) -> None:
    """No problem at all, after the kills asked for, with meals and failed syncs to show
    that the kills did cut the stations' work."""
    problems = figures.check.problems()
    assert not problems, figures.summary() + "\n" + "\n".join(problems[:40])
    assert figures.kills == rounds
    assert figures.check.meals > 0 and figures.credits > 0
    assert figures.failed_syncs > 0, "no sync was ever cut by a kill"


def test_portal_killed_at_random_instants_loses_and_doubles_nothing(
    crash_database: str, tmp_path: Path
) -> None:
    figures = run_portal_crash(crash_database, tmp_path, rounds=ROUNDS, seed=crash_seed())
    assert_nothing_lost(figures, ROUNDS)


def test_portal_with_two_workers_killed_at_random_instants_loses_and_doubles_nothing(
    crash_database: str, tmp_path: Path
) -> None:
    figures = run_portal_crash(
        crash_database, tmp_path, rounds=WORKERS_ROUNDS, seed=crash_seed(), workers=2
    )
    assert_nothing_lost(figures, WORKERS_ROUNDS)
