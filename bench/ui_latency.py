"""Serving app: scan → verdict on screen (Pilot), start to ready, resident memory.

A school of 2 000 pupils with 140 days of reservations cached. 1 000 scans are posted to
the real app exactly as a reader thread posts them (``ScanReceived``), each to an idle app
(cards come seconds apart at a real line) at a random point of Textual's frame clock. The
latency ends when the frame that shows the verdict (big word, reason and name inside the
verdict panel) has been composed and encoded for the terminal: :class:`Terminal` keeps
what a terminal would display from the frames the app writes. Beside it, in the same run,
1 000 engine-only scans (``ServingLine.scan``) on another day of the same file, and 1 000
scans through the app while every pupil has a photo (a 256×256 JPEG on disk, as the photo
sync leaves them, decoded ahead by :func:`warm` as the sync thread does), whose frame must
show the picture in half blocks too, and 1 000 more with the photos in Sixel as the
kiosk's ``foot`` gets them (encoded ahead by :func:`warm`; the frame must carry the Sixel
image), beside the 1 000 without photos: the three runs take turns in blocks of 250
scans, each block on a day of its own.

Start to ready is measured from launching a fresh interpreter to the serving screen
drawn (headless), beside a bare ``python -c "import textual"``; RSS at ready beside a
bare Textual app measured the same way. Targets (docs/design.md §6): p99 < 50 ms, start < 1.5 s,
RSS < 150 MB.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from PIL import Image, ImageDraw
from rich.console import RenderableType
from textual._compositor import ChopsUpdate, CompositorUpdate, LayoutUpdate
from textual.app import App
from textual.geometry import Region
from textual.screen import Screen

from bench.common import percentile, table, write_section
from cantine_harness.calendar import school_days
from cantine_harness.feeds import sample_school
from station.core.clock import FixedClock
from station.core.models import Source, Verdict
from station.engine import ServingLine
from station.readers.events import ScanEvent
from station.store import Store

PUPILS = 2000
SCANS = 1000
SIZE = (128, 40)
STARTS = 5
#: Blocks of scans through the app, alternately without and with photos.
BLOCKS = 4
PARIS = ZoneInfo("Europe/Paris")
#: The runs through the app: no photos, photos in half blocks, photos in Sixel.
VARIANTS = ("none", "halfblocks", "sixel")
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


class RecordingLine(ServingLine):
    """The engine, remembering each verdict so the bench knows what the screen must show."""

    last: Verdict | None = None
    """The last verdict; None when the last scan raised (the panel says ERREUR)."""
    scanned = False
    """Set once the app has called the engine for the scan being timed."""

    def scan(
        self,
        raw: str,
        *,
        at: datetime | None = None,
        source: Source = Source.WEDGE,
        reader: str | None = None,
        read_at: datetime | None = None,
    ) -> Verdict:
        self.last = None
        try:
            self.last = super().scan(raw, at=at, source=source, reader=reader, read_at=read_at)
        finally:
            self.scanned = True
        return self.last


class Terminal:
    """What the terminal shows: the app's frames applied to a grid of characters.

    Headless, Textual composes each frame but skips turning it into terminal bytes; a real
    terminal pays for that, so this does it (``render_segments``) before taking the time.
    The text of each update is then copied into the grid, so "on screen" means the frame
    carrying the verdict has been written, not that a widget attribute changed.
    """

    def __init__(self, app: App[None], size: tuple[int, int]) -> None:
        width, height = size
        self.rows = [[" "] * width for _ in range(height)]
        self.written_at = 0.0
        self.frame = asyncio.Event()
        self.sixels = 0
        """Sixel images written so far (``ESC P … q``)."""
        display = app._display

        def write(screen: Screen[object], update: RenderableType | None) -> None:
            if isinstance(update, CompositorUpdate):
                self.sixels += update.render_segments(app.console).count("\x1bP")
            display(screen, update)
            if isinstance(update, CompositorUpdate):
                self.written_at = time.perf_counter()
                self.apply(update)
                self.frame.set()

        app._display = write  # type: ignore[method-assign,assignment]

    def apply(self, update: CompositorUpdate) -> None:
        if isinstance(update, LayoutUpdate):
            for y, line in enumerate(update.strips, update.region.y):
                self.put(y, update.region.x, "".join(strip.text for strip in line), 0, 10**6)
        elif isinstance(update, ChopsUpdate):
            for y, x1, x2 in update.spans:
                for x, strip in update.chops[y].items():
                    if strip is not None:
                        self.put(y, x, strip.text, x1, x2)

    def put(self, y: int, x: int, text: str, x1: int, x2: int) -> None:
        row = self.rows[y]
        for i, char in enumerate(text, x):
            if x1 <= i < min(x2, len(row)):
                row[i] = char

    def shows(self, region: Region, parts: list[tuple[str, ...]]) -> bool:
        """Whether ``region`` holds, for each part, one of its spellings."""
        rows = [
            "".join(row[region.x : region.right]) for row in self.rows[region.y : region.bottom]
        ]
        return all(any(text in row for text in part for row in rows) for part in parts)


def expected(line: RecordingLine, half_blocks: bool) -> list[tuple[str, ...]]:
    """Pieces of the verdict panel for the last scan: the big word, the reason, who (and
    the photo's half blocks when the child has one and they draw it)."""
    from station.ui.format import child_name, verdict_headline
    from station.ui.widgets.block_font import big_text

    verdict = line.last
    word = "ERREUR" if verdict is None else "SERVI" if verdict.served else "REFUSÉ"
    banner = tuple(big_text(word, scale)[1].strip() for scale in (1, 2))  # either size
    if verdict is None:
        return [banner]
    who = child_name(verdict.child) if verdict.child else verdict.card or ""
    photo = [("▀",)] if half_blocks and has_photo(line) else []
    return [banner, (verdict_headline(verdict, PARIS)[:30],), (who,), *photo]


def has_photo(line: RecordingLine) -> bool:
    verdict = line.last
    return verdict is not None and verdict.child is not None and bool(verdict.child.photo)


def give_photos(store: Store, folder: Path, rng: random.Random) -> dict[str, Path]:
    """A photo for every pupil, as the photo sync leaves them: a 256×256 JPEG named by its
    hash, mode 0600 (``children.photo`` is set by :func:`set_photos`)."""
    folder.mkdir(mode=0o700)
    files: dict[str, Path] = {}
    with store.read() as conn:
        children = [row[0] for row in conn.execute("SELECT id FROM children")]
    for child in children:
        image = Image.new("RGB", (256, 256), tuple(rng.randrange(256) for _ in range(3)))
        ImageDraw.Draw(image).ellipse((64, 40, 192, 216), fill=(240, 200, 160))
        out = io.BytesIO()
        image.save(out, format="JPEG", quality=85)
        data = out.getvalue()
        path = folder / f"{hashlib.sha256(data).hexdigest()}.jpg"
        path.write_bytes(data)
        path.chmod(0o600)
        files[child] = path
    return files


def set_photos(store: Store, files: dict[str, Path] | None) -> None:
    """Point every pupil at its photo (``None``: no photo for anyone)."""
    with store.write() as conn:
        if files is None:
            conn.execute("UPDATE children SET photo = NULL")
        else:
            conn.executemany(
                "UPDATE children SET photo = ? WHERE id = ?",
                [(str(p), c) for c, p in files.items()],
            )


async def screen_latencies(
    line: RecordingLine, clock: FixedClock, codes: list[str], rng: random.Random, *, sixel: bool
) -> tuple[list[float], str]:
    """Seconds from each scan to the frame showing its verdict (with ``sixel``, the photo
    as a Sixel image), and the colour system the frames were encoded for (a photo's
    colours cost more to encode for fewer colours)."""
    from station.ui.app import build_app
    from station.ui.messages import ScanReceived
    from station.ui.widgets.serving.verdict_panel import VerdictPanel

    app = build_app(line, clock=clock, verdict_seconds=0)
    out = []
    async with app.run_test(size=SIZE) as pilot:
        terminal = Terminal(app, SIZE)
        await pilot.pause()
        panel = app.serving.query_one(VerdictPanel).region
        for code in codes:
            # Cards come seconds apart at a real line: each scan finds the app idle, at a
            # random point of Textual's 60 Hz frame clock (back to back, every scan would
            # land just after a frame and wait for a whole one).
            await asyncio.sleep(rng.uniform(0.05, 0.1))
            clock.advance(seconds=1)
            line.scanned = False
            terminal.frame.clear()
            images = terminal.sixels
            t0 = time.perf_counter()
            app.post_message(ScanReceived(ScanEvent(code, Source.WEDGE, clock.now(), "bench")))
            while True:
                if time.perf_counter() > t0 + 5:
                    raise TimeoutError(f"the verdict for {code!r} never reached the screen")
                await asyncio.wait_for(terminal.frame.wait(), timeout=5)
                terminal.frame.clear()
                drawn = not sixel or not has_photo(line) or terminal.sixels > images
                if line.scanned and drawn and terminal.shows(panel, expected(line, not sixel)):
                    break
            out.append(terminal.written_at - t0)
    return out, app.console.color_system or "truecolor"


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
        days = school_days(date(2026, 9, 1), count=140)
        feed = sample_school(pupils=PUPILS, days=days)
        reservations = sum(1 for c in feed.changes if c["kind"] == "reservation")
        with Store(database) as store:
            store.apply_page(feed.changes, feed.seq, "ligne-1", noon(days[0]).isoformat())
        store = Store(database)
        clock = FixedClock(noon(days[40]))
        line = RecordingLine(store, station="ligne-1", school="1849", timezone=PARIS, clock=clock)
        engine = engine_latencies(line, clock, scan_codes(rng))
        from textual_image._terminal import get_cell_size

        from station.ui.widgets.serving import child_photo
        from station.ui.widgets.serving.child_photo import PICTURES, warm
        from station.ui.widgets.serving.photo_sixel import SIXELS

        photo_files = give_photos(store, Path(tmp) / "station-photos", rng)
        child_photo.GRAPHICS = "halfblocks"
        t0 = time.perf_counter()
        warm(list(photo_files.values()))  # what the sync thread does after fetching them
        warm_seconds = time.perf_counter() - t0
        child_photo.GRAPHICS = "sixel"  # as textual-image finds foot at import
        t0 = time.perf_counter()
        warm(list(photo_files.values()))  # on a Sixel terminal it encodes them too
        sixel_seconds = time.perf_counter() - t0
        cell = get_cell_size()
        misses = PICTURES.misses
        # The runs take turns, a block of scans each on a day of its own, so a shared
        # machine's load weighs on all alike.
        timings: dict[str, list[float]] = {variant: [] for variant in VARIANTS}
        codes = {variant: scan_codes(rng) for variant in VARIANTS}
        size = SCANS // BLOCKS
        for block in range(BLOCKS):
            for turn in range(len(VARIANTS)):
                variant = VARIANTS[(block + turn) % len(VARIANTS)]
                child_photo.GRAPHICS = "sixel" if variant == "sixel" else "halfblocks"
                set_photos(store, None if variant == "none" else photo_files)
                clock.set(noon(days[41 + len(VARIANTS) * block + turn]))
                chunk = codes[variant][block * size : (block + 1) * size]
                timed, colours = asyncio.run(
                    screen_latencies(line, clock, chunk, rng, sixel=variant == "sixel")
                )
                timings[variant].extend(timed)
        decoded_at_scan = PICTURES.misses - misses
        screen, photos, sixels = (timings[variant] for variant in VARIANTS)
        store.close()

        starts = [
            launch(["-m", "bench.ui_latency", "station", str(database)]) for _ in range(STARTS)
        ]
        bares = [launch(["-m", "bench.ui_latency", "bare", str(database)]) for _ in range(STARTS)]
        imports = [launch(["-c", "import textual.app"]) for _ in range(STARTS)]

    ms = 1000.0
    s50, s99 = percentile(screen, 50) * ms, percentile(screen, 99) * ms
    e50, e99 = percentile(engine, 50) * ms, percentile(engine, 99) * ms
    p50, p99 = percentile(photos, 50) * ms, percentile(photos, 99) * ms
    x50, x99 = percentile(sixels, 50) * ms, percentile(sixels, 99) * ms
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
            "scan → verdict on screen p50, every pupil with a photo",
            f"{p50:.2f} ms",
            f"{s50:.2f} ms (same app, no photos)",
            f"{p50 / s50:.2f}×",
            "—",
        ),
        (
            "scan → verdict on screen p99, every pupil with a photo",
            f"{p99:.2f} ms",
            f"{s99:.2f} ms (same app, no photos)",
            f"{p99 / s99:.2f}×",
            "< 50 ms",
        ),
        (
            "scan → verdict on screen p50, every pupil with a photo in Sixel",
            f"{x50:.2f} ms",
            f"{s50:.2f} ms (same app, no photos)",
            f"{x50 / s50:.2f}×",
            "—",
        ),
        (
            "scan → verdict on screen p99, every pupil with a photo in Sixel",
            f"{x99:.2f} ms",
            f"{s99:.2f} ms (same app, no photos)",
            f"{x99 / s99:.2f}×",
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
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    body = (
        f"{PUPILS} pupils, {reservations} reservations cached; {SCANS} scans through the app "
        "(posted as a reader thread does, 50–100 ms apart so each finds the app idle at a "
        "random point of its 60 Hz frame clock; timed until the frame showing the verdict "
        "word, reason and name in the panel has been encoded for the terminal, 128×40 "
        f"headless, frames encoded for the {colours!r} colour system) and {SCANS} "
        "engine-only scans on another day of the same file; and "
        f"{SCANS} more scans through the app while each of the {PUPILS} pupils has a photo "
        "(the frame must show its half blocks too; decoded ahead for both frame sizes in "
        f"{warm_seconds:.1f} s, as the sync thread does after fetching; {decoded_at_scan} "
        f"decoded at a scan), and {SCANS} with those photos in Sixel, as the kiosk's foot "
        "gets them (the frame must carry the Sixel image; encoded ahead for both frame "
        f"sizes in {sixel_seconds:.1f} s, {SIXELS.used / 2**20:.0f} MB kept, cells of "
        f"{cell.width} × {cell.height} pixels, as the sync thread does on a Sixel terminal); "
        "the three runs take "
        f"turns in blocks of {SCANS // BLOCKS}, each on a day of its own, so the machine's "
        "load weighs on all alike. "
        f"Load average at the end: {load} (shared 2-core machine).\n\n" + table(rows)
    )
    write_section("Serving app", body)


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] in ("station", "bare"):
        probe(sys.argv[1], sys.argv[2])
    else:
        main()
