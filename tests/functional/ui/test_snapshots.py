"""SVG snapshots of the verdict states and the day summary, at 80×24, 128×40 and 200×50.

A FixedClock and a seeded database make every pixel deterministic. Refresh after an
intended change with ``pytest tests/functional/ui/test_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from station.core.clock import FixedClock
from station.core.models import Source
from station.engine import ServingLine
from station.readers.events import ScanEvent
from station.ui.app import StationApp, build_app
from station.ui.messages import ScanReceived
from tests.support.ui import at

SIZES = [
    pytest.param((80, 24), id="80x24"),
    pytest.param((128, 40), id="128x40"),
    pytest.param((200, 50), id="200x50"),
]
SnapCompare = Callable[..., bool]


def scans(*codes: str) -> Callable[[Pilot[None]], Awaitable[None]]:
    async def run_before(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, StationApp)
        for code in codes:
            app.post_message(ScanReceived(ScanEvent(code, Source.SERIAL, app.clock.now(), "d")))
            await pilot.pause()
            app.clock.advance(minutes=1)  # type: ignore[attr-defined]
        # The counters and last passes are redrawn after the verdict: wait for them. The
        # header clock ticks once a second: show the clock's time now, not at a race.
        await until(pilot, lambda: not app.serving._side_due)
        app.serving.tick()
        await pilot.pause()

    return run_before


async def until(pilot: Pilot[Any], condition: Callable[[], object]) -> None:
    """Wait (a loaded machine is slow) until ``condition`` holds, at most 10 s."""
    for _ in range(100):
        if condition():
            await pilot.pause()
            return
        await pilot.pause(0.1)
    raise AssertionError("condition not reached")


def app_on(line: ServingLine, clock: FixedClock, tmp_path: Path) -> StationApp:
    # No flash: a timer on a loaded machine must not decide what the picture shows.
    return build_app(line, clock=clock, export_dir=tmp_path, flash_seconds=0)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(
    ("state", "codes"),
    [
        ("idle", ()),
        ("served", ("1849-00001",)),
        ("warning_allergy", ("1849-00005",)),
        ("refused_already_served", ("1849-00006", "1849-00006")),
        ("refused_blocked", ("1849-00003",)),
    ],
)
def test_verdict_state_snapshot(
    snap_compare: SnapCompare,
    line: ServingLine,
    clock: FixedClock,
    tmp_path: Path,
    size: tuple[int, int],
    state: str,
    codes: tuple[str, ...],
) -> None:
    clock.set(at(12, 4))
    assert snap_compare(app_on(line, clock, tmp_path), terminal_size=size, run_before=scans(*codes))


@pytest.mark.parametrize("size", SIZES)
def test_allergy_waiting_for_acknowledgement_snapshot(
    snap_compare: SnapCompare,
    line: ServingLine,
    clock: FixedClock,
    tmp_path: Path,
    size: tuple[int, int],
) -> None:
    clock.set(at(12, 4))
    settings = {"seq": 900, "kind": "settings", "key": "1849", "data": {"allergy_ack_required": 1}}
    line.store.apply_page([settings], 900, "ligne-1", clock.now().isoformat())
    before = scans("1849-00005", "1849-00001")  # the second card waits for F8
    assert snap_compare(app_on(line, clock, tmp_path), terminal_size=size, run_before=before)


@pytest.mark.parametrize("size", SIZES)
def test_served_by_override_snapshot(
    snap_compare: SnapCompare,
    line: ServingLine,
    clock: FixedClock,
    tmp_path: Path,
    size: tuple[int, int],
) -> None:
    clock.set(at(12, 4))
    refused = scans("1849-00002")  # no reservation: « F4 : servir quand même »

    async def run_before(pilot: Pilot[Any]) -> None:
        app = pilot.app
        assert isinstance(app, StationApp)
        await refused(pilot)
        await pilot.press("f4")
        await until(pilot, lambda: app.focused is not None and app.focused.id == "override-motives")
        await pilot.press("enter")  # first motive: « Oubli de réservation »
        await until(pilot, lambda: app.screen is app.serving and not app.serving._side_due)
        app.serving.tick()
        await pilot.pause()

    assert snap_compare(app_on(line, clock, tmp_path), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_day_summary_snapshot(
    snap_compare: SnapCompare,
    line: ServingLine,
    clock: FixedClock,
    tmp_path: Path,
    size: tuple[int, int],
) -> None:
    clock.set(at(11, 48))
    before = scans("1849-00001", "1849-00005", "1849-00002", "1849-00007", "1849-00004")

    async def run_before(pilot: Pilot[Any]) -> None:
        await before(pilot)
        await pilot.press("f5")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(app_on(line, clock, tmp_path), terminal_size=size, run_before=run_before)
