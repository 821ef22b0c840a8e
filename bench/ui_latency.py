"""Serving app: scan → verdict on screen (Pilot), start to ready, resident memory.

A school of 2 000 pupils with 140 days of reservations cached. 1 000 scans are posted to
the real app exactly as a reader thread posts them (``ScanReceived``); the latency ends
when the verdict banner has been rendered by the compositor. Beside it, in the same run,
1 000 engine-only scans (``ServingLine.scan``) on another day of the same file.

Start to ready is measured from launching a fresh interpreter to the serving screen
drawn (headless), beside a bare ``python -c "import textual"``; RSS at ready beside a
bare Textual app measured the same way. Targets (DESIGN §6): p99 < 50 ms, start < 1.5 s,
RSS < 150 MB.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.common import percentile, table, write_section
from station.clock import FixedClock
from station.engine import ServingLine
from station.models import Source
from station.readers.events import ScanEvent
from station.store import Store
from station.testing import sample_school, school_days

PUPILS = 2000
SCANS = 1000
STARTS = 5
PARIS = ZoneInfo("Europe/Paris")
ROOT = Path(__file__).resolve().parent.parent


def scan_codes(rng: random.Random) -> list[str]:
    """Mostly valid cards, some repeats (already served), unknown cards and garbage."""
    codes: list[str] = []
    for n in rng.sample(range(1, PUPILS + 1), SCANS):
        roll = rng.random()
        if roll < 0.05:
            codes.append("?!garbage")
        elif roll < 0.08:
            codes.append(f"1849-{PUPILS + rng.randint(1, 500):05d}")
        elif roll < 0.15 and codes:
            codes.append(codes[-1])
        else:
            codes.append(f"1849-{n:05d}")
    return codes


def noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, 0, tzinfo=PARIS)


def engine_latencies(line: ServingLine, clock: FixedClock, codes: list[str]) -> list[float]:
    out = []
    for code in codes:
        clock.advance(seconds=1)
        t0 = time.perf_counter()
        line.scan(code, source=Source.WEDGE)
        out.append(time.perf_counter() - t0)
    return out


async def screen_latencies(line: ServingLine, clock: FixedClock, codes: list[str]) -> list[float]:
    from station.ui.app import build_app
    from station.ui.messages import ScanReceived
    from station.ui.widgets.serving.verdict_banner import VerdictBanner

    app = build_app(line, clock=clock, verdict_seconds=0)
    out = []
    async with app.run_test(size=(128, 40)) as pilot:
        await pilot.pause()
        banner = app.serving.query_one(VerdictBanner)
        for code in codes:
            clock.advance(seconds=1)
            t0 = time.perf_counter()
            app.post_message(ScanReceived(ScanEvent(code, Source.WEDGE, clock.now(), "bench")))
            deadline = t0 + 5
            while banner.rendered_at <= t0:
                if time.perf_counter() > deadline:
                    raise TimeoutError("verdict never rendered")
                await asyncio.sleep(0)
            out.append(banner.rendered_at - t0)
    return out


def probe(kind: str, database: str) -> None:
    """Child process: start an app headless, print seconds since launch and RSS at ready."""
    started = float(sys.argv[3])

    async def go() -> None:
        from textual.app import App
        from textual.widgets import Static

        if kind == "station":
            from station.ui.app import build_app

            store = Store(database)
            line = ServingLine(store, station="ligne-1", school="1849", timezone=PARIS)
            app: App[None] = build_app(line)
            async with app.run_test(size=(128, 40)) as pilot:
                while app.ready_at is None:  # type: ignore[attr-defined]
                    await pilot.pause(0.001)
                report()
            store.close()
        else:

            class Bare(App[None]):
                def compose(self):  # type: ignore[no-untyped-def]
                    yield Static("bare")

            async with Bare().run_test(size=(128, 40)) as pilot:
                await pilot.pause()
                report()

    def report() -> None:
        rss_kb = next(
            int(line.split()[1])
            for line in Path("/proc/self/status").read_text().splitlines()
            if line.startswith("VmRSS:")
        )
        print(f"READY {time.time() - started:.4f} {rss_kb}", flush=True)

    asyncio.run(go())


def launch(args: list[str]) -> tuple[float, int]:
    """Seconds to READY (or to exit) and RSS in kB (0 when not reported)."""
    t0 = time.time()
    out = subprocess.run(
        [sys.executable, *args, f"{t0}"] if args[0] == "-m" else [sys.executable, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    ).stdout
    for line in out.splitlines():
        if line.startswith("READY"):
            _, seconds, rss = line.split()
            return float(seconds), int(rss)
    return time.time() - t0, 0


def main() -> None:
    rng = random.Random(1849)
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:
        database = Path(tmp) / "station.db"
        days = school_days(date(2026, 9, 1), 140)
        feed = sample_school(pupils=PUPILS, days=days)
        reservations = sum(1 for c in feed.changes if c["kind"] == "reservation")
        with Store(database) as store:
            store.apply_page(feed.changes, feed.seq, "ligne-1", noon(days[0]).isoformat())
        store = Store(database)
        clock = FixedClock(noon(days[40]))
        line = ServingLine(store, station="ligne-1", school="1849", timezone=PARIS, clock=clock)
        engine = engine_latencies(line, clock, scan_codes(rng))
        clock.set(noon(days[41]))
        screen = asyncio.run(screen_latencies(line, clock, scan_codes(rng)))
        store.close()

        starts = [
            launch(["-m", "bench.ui_latency", "station", str(database)]) for _ in range(STARTS)
        ]
        bares = [launch(["-m", "bench.ui_latency", "bare", str(database)]) for _ in range(STARTS)]
        imports = [launch(["-c", "import textual.app"]) for _ in range(STARTS)]

    ms = 1000.0
    s50, s99 = percentile(screen, 50) * ms, percentile(screen, 99) * ms
    e50, e99 = percentile(engine, 50) * ms, percentile(engine, 99) * ms
    start = statistics.median(s for s, _ in starts)
    bare_start = statistics.median(s for s, _ in bares)
    import_start = statistics.median(s for s, _ in imports)
    rss = statistics.median(r for _, r in starts) / 1024
    bare_rss = statistics.median(r for _, r in bares) / 1024
    rows = [
        (
            "scan → verdict on screen p50",
            f"{s50:.2f} ms",
            f"{e50:.2f} ms (engine only)",
            f"{s50 / e50:.1f}×",
            "—",
        ),
        (
            "scan → verdict on screen p99",
            f"{s99:.2f} ms",
            f"{e99:.2f} ms (engine only)",
            f"{s99 / e99:.1f}×",
            "< 50 ms",
        ),
        (
            "station start → ready (median of 5)",
            f"{start:.2f} s",
            f"{import_start:.2f} s (python -c 'import textual.app')",
            f"{start / import_start:.1f}×",
            "< 1.5 s",
        ),
        (
            "station start → ready, bare app reference",
            f"{start:.2f} s",
            f"{bare_start:.2f} s (bare Textual app, same probe)",
            f"{start / bare_start:.1f}×",
            "—",
        ),
        (
            "resident memory at ready",
            f"{rss:.0f} MB",
            f"{bare_rss:.0f} MB (bare Textual app)",
            f"{rss / bare_rss:.1f}×",
            "< 150 MB",
        ),
    ]
    body = (
        f"{PUPILS} pupils, {reservations} reservations cached; {SCANS} scans through the app "
        "(posted as a reader thread does, timed to the verdict banner's render, 128×40 "
        f"headless) and {SCANS} engine-only scans on another day of the same file.\n\n"
        + table(rows)
    )
    write_section("Serving app", body)


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] in ("station", "bare"):
        probe(sys.argv[1], sys.argv[2])
    else:
        main()
