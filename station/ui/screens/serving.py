"""The serving screen: the verdict of each pass, counters, last passes, status lines.

It is the only place that calls the engine for a pass, whatever screen is on top: the app
forwards every scan here. Engine calls are local SQLite (a few milliseconds, fsync
included) and run on the UI thread so verdicts come out in scan order; the network and
the camera live in their own threads and never sit on this path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from zoneinfo import ZoneInfo

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Static

from station.core.clock import Clock
from station.core.errors import StationError
from station.core.models import Service, Source, Verdict
from station.engine import ServingLine, VoidResult
from station.readers.events import ScanEvent
from station.sync.status import SyncStatus
from station.ui.widgets.serving.code_entry import CodeEntry
from station.ui.widgets.serving.last_passes import LastPasses
from station.ui.widgets.serving.reader_status import ReaderStatusLine
from station.ui.widgets.serving.service_clock import ServiceClock
from station.ui.widgets.serving.service_counters import ServiceCountersView
from station.ui.widgets.serving.sync_status import SyncStatusLine
from station.ui.widgets.serving.verdict_panel import FLASH_SECONDS, VerdictPanel


class ServingScreen(Screen[None]):
    """What staff look at during the service."""

    CSS_PATH = "../styles/serving.tcss"
    AUTO_FOCUS = "CodeEntry"

    def __init__(
        self,
        line: ServingLine,
        *,
        clock: Clock,
        tz: ZoneInfo,
        school_name: str,
        verdict_seconds: float = 8.0,
        flash_seconds: float = FLASH_SECONDS,
        service_note: str = "",
    ) -> None:
        super().__init__()
        self.line = line
        self.clock = clock
        self.tz = tz
        self.school_name = school_name
        self.verdict_seconds = verdict_seconds
        self.flash_seconds = flash_seconds
        self.service_note = service_note
        self.last_verdict: Verdict | None = None
        self._verdict_timer: Timer | None = None
        self.awaiting_ack = False
        """An allergy verdict waits for staff's F8 before the next pass is served."""
        self._held: list[Callable[[], Verdict]] = []
        """Passes read while waiting: kept, served in order right after F8."""
        self._side_due = False

    def compose(self) -> ComposeResult:
        clock = ServiceClock(self.school_name, self.line.station, self.tz, id="service-clock")
        clock.note = self.service_note
        yield clock
        with Horizontal(id="serving-main"):
            yield VerdictPanel(flash_seconds=self.flash_seconds, id="verdict")
            with Vertical(id="side"):
                yield ServiceCountersView(id="counters")
                yield Static("Derniers passages", id="passes-title")
                yield LastPasses(id="passes")
        yield SyncStatusLine(id="sync-status")
        yield ReaderStatusLine(id="reader-status")
        yield CodeEntry(id="code-entry")
        yield Footer()

    def on_mount(self) -> None:
        self.tick()
        self.refresh_side()
        self.set_interval(1.0, self.tick)

    # --- attributes down: what the app tells this screen ----------------------------------

    def current_service(self) -> Service | None:
        return self.line.current_service(self.clock.now())

    def tick(self) -> None:
        """Move the clock (and the service, when a window opens or closes)."""
        self.query_one(ServiceClock).show(self.clock.now(), self.current_service())

    def refresh_side(self) -> None:
        """Counters of the open service and the last passes, from the database."""
        self._side_due = False
        now = self.clock.now()
        day = self.line.business_date(now)
        service = self.current_service()
        views = self.line.views
        counters = views.counters(day, service.code) if service else None
        passes = views.last_passes(day)
        self.query_one(ServiceCountersView).show(counters)
        self.query_one(LastPasses).show(passes, self.tz)

    def show_sync(self, status: SyncStatus | None) -> None:
        self.query_one(SyncStatusLine).show(status)

    def show_readers(self, readers: Mapping[str, bool], error: str = "") -> None:
        self.query_one(ReaderStatusLine).show(readers, error)

    # --- passes ----------------------------------------------------------------------------

    def serve_event(self, event: ScanEvent) -> Verdict | None:
        """One pass of a read (or typed) code through the engine; shows the verdict."""
        return self._pass(lambda: self.line.read(event, at=self.clock.now()))

    def serve_scan(self, raw: str, source: Source = Source.WEDGE) -> Verdict | None:
        """One pass of a code typed or read now (tests, benchmarks); shows the verdict."""
        return self.serve_event(ScanEvent(raw, source, self.clock.now(), source.value))

    def serve_child(self, child_id: str) -> Verdict | None:
        """A manual serve (forgotten card) through the same rules."""
        return self._pass(lambda: self.line.serve_manual(child_id))

    def override(self, child_id: str, motive: str) -> Verdict | None:
        """« Servir quand même » through the engine (F4); shows the verdict."""
        return self._pass(lambda: self.line.override(child_id, motive))

    def overridable(self) -> Verdict | None:
        """The refusal on screen if staff may serve anyway (F4), else None."""
        verdict = self.last_verdict
        return verdict if verdict is not None and verdict.overridable else None

    def undo(self, meal_id: str, reason: str) -> VoidResult | None:
        """Void a meal (the engine checks the undo window); shows the refund."""
        try:
            result = self.line.void(meal_id, reason=reason)
        except StationError as e:
            self._fail(e)
            return None
        self.query_one(VerdictPanel).show_void(result)
        self._arm_reset()
        self.refresh_side_after_paint()
        return result

    def refresh_side_after_paint(self) -> None:
        """Refresh the counters and last passes once the verdict is on screen.

        Staff wait for the verdict, not the counters: reading them (a few milliseconds
        of SQL) and redrawing them in the same frame would hold the verdict back. Several
        passes before the next frame share one refresh.
        """
        if not self._side_due:
            self._side_due = True
            self.call_after_refresh(self.refresh_side)

    def acknowledge(self) -> None:
        """F8: staff saw the allergy; the passes read meanwhile are served now, in order
        (stopping again at the next allergy that needs acknowledging)."""
        if not self.awaiting_ack:
            return
        self.awaiting_ack = False
        self.query_one(VerdictPanel).show_ack("")
        self._arm_reset()
        while self._held and not self.awaiting_ack:
            self._pass(self._held.pop(0))

    def _pass(self, serve: Callable[[], Verdict]) -> Verdict | None:
        """Run one pass through the engine and show its verdict (or the error); while an
        allergy waits for F8, keep the pass for later instead."""
        if self.awaiting_ack:
            self._held.append(serve)
            self._show_waiting()
            return None
        try:
            verdict = serve()
        except StationError as e:
            self._fail(e)
            return None
        self.last_verdict = verdict
        self.query_one(VerdictPanel).show_verdict(verdict, self.tz)
        if verdict.ack_required:
            self.awaiting_ack = True
            self._show_waiting()
            self.app.bell()
            if self._verdict_timer is not None:  # the allergy stays until F8
                self._verdict_timer.stop()
                self._verdict_timer = None
            self.refresh_side_after_paint()
            return verdict
        if not verdict.served:
            self.app.bell()
        self._arm_reset()
        self.refresh_side_after_paint()
        return verdict

    def _show_waiting(self) -> None:
        held = len(self._held)
        waiting = f" — {held} carte{'s' if held > 1 else ''} en attente" if held else ""
        self.query_one(VerdictPanel).show_ack(f"F8 : allergie vue, servir la suite{waiting}")

    def _fail(self, error: StationError) -> None:
        self.query_one(VerdictPanel).show_error(error.title, error.message)
        self.app.bell()
        self._arm_reset()

    def _arm_reset(self) -> None:
        """The verdict stays until the next pass or ``verdict_seconds``."""
        if self._verdict_timer is not None:
            self._verdict_timer.stop()
        if self.verdict_seconds > 0:
            self._verdict_timer = self.set_timer(self.verdict_seconds, self._back_to_idle)

    def _back_to_idle(self) -> None:
        self.query_one(VerdictPanel).show_idle()
        self._verdict_timer = None
