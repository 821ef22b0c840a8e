"""The portal killed at any instant loses nothing: the crash runs of
``tests/functional/crash/`` at full length, by hand.

    python -m bench.portal_crash                  # 1 000 portal kills, SQLite
    PORTAL_TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/test \\
        python -m bench.portal_crash --kills 1000 # and the same on PostgreSQL

For each database: ``--kills`` SIGKILLs of ``portal-sync-api serve`` (one worker),
``--worker-kills`` of ``serve --workers 2`` (each restart spawns two interpreters, so far
fewer), ``--station-kills`` of a station's sync process. Prints the figures of each run
(kills, meals, voids, lost, doubled, cursor gaps, other problems, duration) and writes
them to the "Portal crash" section of bench/RESULTS.md after each run, so a long run
interrupted keeps what it measured. Exits 1 when any run found a problem, listing them.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from bench.common import write_section
from cantine_harness.portal import postgres_server_url
from tests.support.portal_crash import CrashFigures, crash_seed, run_portal_crash, run_station_crash

SECTION = "Portal crash"


def row(f: CrashFigures) -> str:
    """One Markdown table row of a run's figures."""
    c = f.check
    other = len(c.invented) + len(c.ledger) + len(c.balances) + len(c.other)
    variant = f.variant
    if f.phases:  # what the killed sync process was doing
        variant += " (" + ", ".join(f"{k} {n}" for k, n in f.phases.most_common()) + ")"
    cells = [
        f.database,
        variant,
        str(f.seed),
        str(f.kills),
        str(c.meals),
        str(c.voids),
        str(f.credits),
        str(f.failed_syncs),
        str(len(c.lost)),
        str(len(c.doubled)),
        str(len(c.gaps)),
        str(other),
        f"{f.seconds:.0f} s",
    ]
    return "| " + " | ".join(cells) + " |"


def report(runs: list[CrashFigures]) -> str:
    """The section's body: what was run, then one row per run."""
    lines = [
        "Real `portal-sync-api serve` processes SIGKILLed (their whole process group) at",
        "random instants and restarted on the same port and database while two stations",
        "scan, void, push (batches of 3) and pull (pages of 5) and credits are imported;",
        "or a station's sync process killed mid-push, mid-pull or between. Then every",
        "station meal and void is looked for at the portal, every ledger entry's cause",
        "checked, balances compared (family_balances, SUM(ledger), every station) and each",
        "station's applied pages checked against the school's feed for skipped seqs",
        "(tests/support/crash_checks.py). *Syncs cut*: station syncs that failed because of",
        "a portal kill. A station run names what the killed sync was doing: `push`, `pull`,",
        "`check` (asking its token's school), `between` (after a whole cycle).",
        "Target: 0 lost, 0 doubled, 0 gaps, 0 other problems.",
        "",
        "| database | run | seed | kills | meals | voids | credits | syncs cut | lost "
        "| doubled | cursor gaps | other problems | time |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        *(row(f) for f in runs),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=1000, help="portal kills, one worker")
    parser.add_argument("--worker-kills", type=int, default=30, help="kills with --workers 2")
    parser.add_argument("--station-kills", type=int, default=300, help="station sync kills")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)
    logging.getLogger("station").setLevel(logging.ERROR)  # each cut sync logs a warning
    seed = args.seed if args.seed is not None else crash_seed()
    databases = ["sqlite"] + (["postgres"] if postgres_server_url() else [])
    plans: list[tuple[int, Callable[[str, Path], CrashFigures]]] = [
        (args.kills, lambda db, d: run_portal_crash(db, d, rounds=args.kills, seed=seed)),
        (
            args.worker_kills,
            lambda db, d: run_portal_crash(db, d, rounds=args.worker_kills, seed=seed, workers=2),
        ),
        (
            args.station_kills,
            lambda db, d: run_station_crash(db, d, rounds=args.station_kills, seed=seed),
        ),
    ]
    runs: list[CrashFigures] = []
    for database in databases:
        for kills, run in plans:
            if kills <= 0:
                continue
            with tempfile.TemporaryDirectory() as directory:
                runs.append(run(database, Path(directory)))
            write_section(SECTION, report(runs))
    problems = [(f, p) for f in runs for p in f.check.problems()]
    for f, problem in problems[:100]:
        print(f"{f.database} {f.variant} seed={f.seed}: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
