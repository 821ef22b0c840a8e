"""Scan → durable verdict latency of the engine, beside the bare SQLite commit floor.

A school of 2 000 pupils with a school year of reservations in the cache; 5 000 scans of
mixed outcomes (served, already served, no reservation, unknown, unreadable) through
``ServingLine.scan``, each committed with fsync before it returns. The reference is a
bare single-row INSERT + COMMIT with the same pragmas, on the same disk, in the same run.
Target (docs/design.md §6): p99 within 3× the floor's p99.
"""

from __future__ import annotations

import random
import sqlite3
import tempfile
import threading
import time
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.common import percentile, table, write_section
from cantine_harness.calendar import school_days
from cantine_harness.feeds import sample_school
from station.engine import ServingLine
from station.store import Store

PUPILS = 2000
SCANS = 5000
PARIS = ZoneInfo("Europe/Paris")


def floor_latencies(directory: Path, count: int) -> list[float]:
    """Bare INSERT + COMMIT of one row, WAL + synchronous=FULL, same disk."""
    conn = sqlite3.connect(directory / "floor.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, payload TEXT)")
    out = []
    for i in range(count):
        t0 = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t (payload) VALUES (?)", (f"row {i}",))
        conn.execute("COMMIT")
        out.append(time.perf_counter() - t0)
    conn.close()
    return out


def _checkpoint_loop(path: Path, stop: threading.Event) -> None:
    with Store(path) as side:
        while not stop.wait(1.0):
            side.checkpoint()


def scan_plan(days: list[date], rng: random.Random) -> list[tuple[datetime, str]]:
    plan: list[tuple[datetime, str]] = []
    day_index = 0
    while len(plan) < SCANS:
        day = days[day_index % len(days)]
        day_index += 1
        noon = datetime(day.year, day.month, day.day, 12, 0, tzinfo=PARIS)
        for n in rng.sample(range(1, PUPILS + 1), PUPILS):
            roll = rng.random()
            if roll < 0.05:
                code = "?!garbage"
            elif roll < 0.08:
                code = f"1849-{PUPILS + rng.randint(1, 500):05d}"
            elif roll < 0.15 and plan:
                code = plan[-1][1]  # the same card twice: already served
            else:
                code = f"1849-{n:05d}"
            plan.append((noon, code))
            if len(plan) >= SCANS:
                break
    return plan


def main() -> None:
    rng = random.Random(2026)
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:
        directory = Path(tmp)
        days = school_days(date(2026, 9, 1), count=140)
        feed = sample_school(pupils=PUPILS, days=days)
        reservations = sum(1 for c in feed.changes if c["kind"] == "reservation")
        store = Store(directory / "station.db")
        store.apply_page(feed.changes, feed.seq, "ligne-1", "bench")
        line = ServingLine(store, station="ligne-1", school="1849", timezone=PARIS)
        plan = scan_plan(days[40:], rng)
        floor = floor_latencies(directory, SCANS)
        # As in the app, the sync loop checkpoints the WAL beside the line, on its own
        # connection, once per sync interval (here every second).
        stop = threading.Event()
        checkpointer = threading.Thread(
            target=_checkpoint_loop, args=(directory / "station.db", stop), daemon=True
        )
        checkpointer.start()
        latencies, outcomes = [], {}
        for at, code in plan:
            t0 = time.perf_counter()
            verdict = line.scan(code, at=at)
            latencies.append(time.perf_counter() - t0)
            outcomes[verdict.reason.value] = outcomes.get(verdict.reason.value, 0) + 1
        stop.set()
        checkpointer.join()
        store.close()
    ms = 1000.0
    p50, p99 = percentile(latencies, 50) * ms, percentile(latencies, 99) * ms
    f50, f99 = percentile(floor, 50) * ms, percentile(floor, 99) * ms
    p999, f999 = percentile(latencies, 99.9) * ms, percentile(floor, 99.9) * ms
    rows = [
        (
            "scan → durable verdict p50",
            f"{p50:.2f} ms",
            f"{f50:.2f} ms (bare commit p50)",
            f"{p50 / f50:.2f}×",
            "—",
        ),
        (
            "scan → durable verdict p99",
            f"{p99:.2f} ms",
            f"{f99:.2f} ms (bare commit p99)",
            f"{p99 / f99:.2f}×",
            "≤ 3×",
        ),
        (
            "scan → durable verdict p99.9",
            f"{p999:.2f} ms",
            f"{f999:.2f} ms (bare commit p99.9)",
            f"{p999 / f999:.2f}×",
            "—",
        ),
    ]
    mix = ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items()))
    body = (
        f"{PUPILS} pupils, {reservations} reservations cached, {len(plan)} scans "
        f"({mix}).\n\n" + table(rows)
    )
    write_section("Scan latency", body)


if __name__ == "__main__":
    main()
