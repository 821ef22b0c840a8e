"""Driving the real serving app in tests: scanner bursts, a person's typing, a sync runner
switched on and off line, and what the terminal shows (plain helpers, no fixtures)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from textual import events
from textual.app import App
from textual.keys import _character_to_key
from textual.pilot import Pilot

from station.core.clock import FixedClock
from station.readers.base import ErrorCallback, Reader, ScanCallback, StatusCallback
from station.readers.wedge import KeyWedgeReader
from station.sync.status import SyncStatus, cycle_line
from station.ui.app import ReaderFactory
from tests.support.station import NOON

# Wider than a real scanner's 50 ms so a loaded CI machine never splits a burst; a
# person's keys in these tests come HUMAN_GAP apart.
BURST_MS = 100
HUMAN_GAP = 0.15


def wedge_only(clock: FixedClock) -> ReaderFactory:
    """A reader factory with one keyboard-wedge reader, like ``station demo``."""

    def build(on_scan: ScanCallback, on_error: ErrorCallback, _s: StatusCallback) -> list[Reader]:
        return [
            KeyWedgeReader(
                "clavier",
                on_scan,
                on_error,
                debounce_seconds=0,
                clock=clock,
                max_interval_ms=BURST_MS,
            )
        ]

    return build


async def burst(app: App[None], pilot: Pilot[None], code: str) -> None:
    """A scanner typing ``code`` and Enter: every key arrives at once."""
    for char in code:
        key = char if char.isalnum() else _character_to_key(char)
        app.post_message(events.Key(key, char))
    app.post_message(events.Key("enter", "\r"))
    await pilot.pause()


async def type_slowly(pilot: Pilot[None], text: str) -> None:
    """A person typing: each key well apart, then long enough for the last to show."""
    for char in text:
        await pilot.press(char)
        await pilot.pause(HUMAN_GAP)


def at(hour: int, minute: int) -> datetime:
    """``hour``:``minute`` on the day of ``NOON``."""
    return NOON.replace(hour=hour, minute=minute)


class FakeSync:
    """A sync runner the test switches on and off line (until the real portal is used)."""

    def __init__(self, clock: FixedClock) -> None:
        self.clock = clock
        self.on_status: Callable[[SyncStatus], None] | None = None
        self.online = True
        self.triggered = 0
        self.started = False
        self.stopped = False

    def __call__(self, on_status: Callable[[SyncStatus], None]) -> FakeSync:
        self.on_status = on_status
        return self

    def start(self) -> None:
        self.started = True

    def stop(self) -> None:
        self.stopped = True

    def trigger(self) -> None:
        self.triggered += 1
        self.report()

    def status(self) -> SyncStatus:
        now = self.clock.now()
        return SyncStatus(
            online=self.online,
            pending=0 if self.online else 2,
            rejected=0,
            last_success=now if self.online else None,
            pulled_at=now if self.online else now - timedelta(hours=30),
            last_error=None if self.online else "portail injoignable",
            now=now,
            last_cycle=cycle_line(
                ok=self.online, sent=2, rejected=0, received=3, error="portail injoignable"
            ),
        )

    def report(self) -> None:
        assert self.on_status is not None
        self.on_status(self.status())


def screen_text(app: App[None]) -> str:
    """What the terminal shows right now, as plain text (one line per row)."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)


def flat(app: App[None]) -> str:
    """The screen text with rows joined and runs of spaces collapsed (wrap-proof asserts)."""
    return " ".join(screen_text(app).split())


def widget_text(app: App[None], selector: str) -> str:
    """What one widget shows on screen (its region of the terminal), spaces collapsed."""
    region = app.screen.query_one(selector).region
    rows = screen_text(app).splitlines()[region.y : region.bottom]
    return " ".join(" ".join(row[region.x : region.right] for row in rows).split())
