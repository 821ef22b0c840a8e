"""Kill -9 at random moments: no shown meal lost, none recorded twice, nothing else recorded.

``CRASH_ROUNDS`` sets the number of kills (50 in the suite; run 1000 by hand with
``CRASH_ROUNDS=1000 pytest tests/functional/station/test_crash.py``).
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from cantine_harness.calendar import school_days
from cantine_harness.feeds import FeedBuilder
from station.store import Store
from tests.support.station import DAY, NOON

ROUNDS = int(os.environ.get("CRASH_ROUNDS", "50"))
WORKER = Path(__file__).with_name("crash_worker.py")
PUPILS = 1000
# Enough scan days that the stream outlasts the kills (about 25 scans per round).
DAYS = school_days(DAY, count=ROUNDS // 25 + 2)


def seed_school(path: Path) -> None:
    feed = FeedBuilder()
    feed.school("1849")
    feed.tariff("T1", "dejeuner", 415)
    for n in range(1, PUPILS + 1):
        feed.child(f"C{n:05d}", card=f"1849-{n:05d}", family_id=f"F{n:05d}")
        feed.balance(f"F{n:05d}", 10_000_000)
        for day in DAYS:
            feed.reservation(f"C{n:05d}", day)
    with Store(path) as store:
        store.apply_page(feed.changes, feed.seq, "ligne-1", NOON.isoformat())


def scan_stream(rng: random.Random) -> list[str]:
    """``DAY CODE`` lines: mostly first passes, with repeats and garbage mixed in."""
    scans: list[str] = []
    for day in DAYS:
        for n in range(1, PUPILS + 1):
            scans.append(f"{day} 1849-{n:05d}")
            roll = rng.random()
            if roll < 0.1:
                scans.append(f"{day} 1849-{rng.randint(1, n):05d}")  # already served
            elif roll < 0.15:
                scans.append(f"{day} garbage")
    return scans


def run_round(
    db: Path, codes_file: Path, start: int, rng: random.Random
) -> tuple[list[str], str | None, bool]:
    """Start a worker at ``start``, kill it at a random moment; return its output lines."""
    proc = subprocess.Popen(
        [sys.executable, str(WORKER), str(db), str(codes_file), str(start)],
        stdout=subprocess.PIPE,
        text=True,
        bufsize=1,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "READY"
    time.sleep(rng.uniform(0.0, 0.06))
    proc.send_signal(signal.SIGKILL)
    rest, _ = proc.communicate()
    lines = rest.splitlines()
    return lines, None, "END" in lines


def test_station_killed_at_random_moments_loses_no_shown_meal_and_records_none_twice(
    tmp_path: Path,
) -> None:
    rng = random.Random(int(os.environ.get("CRASH_SEED", "1849")))
    db = tmp_path / "station.db"
    seed_school(db)
    codes = scan_stream(rng)
    codes_file = tmp_path / "codes.txt"
    codes_file.write_text("\n".join(codes), encoding="utf-8")

    shown: dict[str, int] = {}  # meal id printed as served -> scan index
    in_flight: dict[int, tuple[str, str]] = {}  # scan begun, not reported -> (day, code)
    start, kills = 0, 0
    while kills < ROUNDS:
        lines, _, finished = run_round(db, codes_file, start, rng)
        kills += 1
        begun: dict[int, tuple[str, str]] = {}
        for line in lines:
            parts = line.split()
            if parts[0] == "BEGIN":
                begun[int(parts[1])] = (parts[2], parts[3])
            elif parts[0] == "DONE":
                index = int(parts[1])
                begun.pop(index)
                if parts[2] == "served":
                    assert parts[3] not in shown
                    shown[parts[3]] = index
        assert len(begun) <= 1
        in_flight.update(begun)
        if begun:
            start = min(begun)  # redo the scan that was cut (it may have committed)
        elif lines and lines[-1].startswith("DONE"):
            start = int(lines[-1].split()[1]) + 1
        if finished or start >= len(codes):
            break

    conn = sqlite3.connect(db)
    meals = conn.execute("SELECT id, business_date, card FROM meals").fetchall()
    ids = [m[0] for m in meals]
    assert len(ids) == len(set(ids))
    assert set(shown) <= set(ids), "a meal shown as served is missing"
    extras = [(day, card) for mid, day, card in meals if mid not in shown]
    for day, card in extras:
        assert (day, card) in in_flight.values(), f"meal for {card} on {day} never in flight"
    assert len(extras) <= len(in_flight)
    per_child = conn.execute(
        "SELECT child_id, business_date, COUNT(*) FROM meals GROUP BY child_id, business_date"
        " HAVING COUNT(*) > 1"
    ).fetchall()
    assert per_child == [], "a child was served twice"
    assert conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == len(ids)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    config = tmp_path / "station.toml"
    config.write_text(f'[station]\nname = "ligne-1"\nschool = "1849"\ndatabase = "{db}"\n')
    verify = subprocess.run(
        [sys.executable, "-m", "station.cli", "--config", str(config), "verify"],
        capture_output=True,
        text=True,
    )
    assert verify.returncode == 0, verify.stdout
    print(f"{kills} kills, {len(shown)} meals shown, {len(extras)} committed in flight")
    assert kills >= min(ROUNDS, 1) and len(shown) > 0
