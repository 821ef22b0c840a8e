"""A station killed while it syncs loses nothing.

Each round one station's real sync (push the outbox, pull the feed) runs in a subprocess
SIGKILLed at a random instant: mid-push, mid-pull or between the two, while the other
station scans and syncs and credits are imported; the station's database is reopened and
serves and syncs again. Afterwards the same checks as the portal crash test.
``PORTAL_CRASH_ROUNDS`` sets the kills (30 by default), ``PORTAL_CRASH_SEED`` the seed.
"""

from __future__ import annotations

from pathlib import Path

from tests.support.portal_crash import crash_rounds, crash_seed, run_station_crash

ROUNDS = crash_rounds(30)


def test_station_killed_while_syncing_loses_and_doubles_nothing(
    crash_database: str, tmp_path: Path
) -> None:
    figures = run_station_crash(crash_database, tmp_path, rounds=ROUNDS, seed=crash_seed())
    problems = figures.check.problems()
    assert not problems, figures.summary() + "\n" + "\n".join(problems[:40])
    assert figures.kills == ROUNDS and figures.check.meals > 0
    cut = figures.phases["push"] + figures.phases["pull"]
    assert cut > 0, f"no kill landed during a request: {dict(figures.phases)}"
