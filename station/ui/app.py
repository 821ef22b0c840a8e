"""The serving app: a thin shell that wires readers, sync and screens to the engine.

Built by :func:`build_app` with injected parts (the engine on its store, a reader
factory, a sync factory, a clock), so tests run the real app on temporary files and
fake only the hardware edge.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import ClassVar, Protocol
from zoneinfo import ZoneInfo

from textual import events, work
from textual.app import App
from textual.binding import Binding, BindingType

from station import watchdog
from station.core.clock import Clock
from station.core.errors import ReaderError
from station.core.models import Source
from station.engine import ServingLine
from station.readers.base import ErrorCallback, Reader, ScanCallback, StatusCallback
from station.readers.events import ScanEvent
from station.readers.wedge import KeyWedgeReader
from station.sync.status import SyncStatus
from station.ui.messages import ReaderFailed, ReaderStatusChanged, ScanReceived, SyncStatusChanged
from station.ui.screens.day_summary import DaySummaryScreen
from station.ui.screens.override import OverrideScreen
from station.ui.screens.quit_confirm import QuitConfirmScreen
from station.ui.screens.search import SearchScreen
from station.ui.screens.serving import ServingScreen
from station.ui.screens.undo import UndoScreen
from station.ui.wedge_keys import WedgeKeyRouter
from station.ui.widgets.serving.code_entry import CodeEntry
from station.ui.widgets.serving.verdict_panel import FLASH_SECONDS


class SyncRunnerLike(Protocol):
    """What the app needs of ``station.sync.runner.SyncRunner``."""

    def start(self) -> None: ...
    def stop(self) -> None: ...
    def trigger(self) -> None: ...
    def status(self) -> SyncStatus | None: ...


ReaderFactory = Callable[[ScanCallback, ErrorCallback, StatusCallback], Sequence[Reader]]
"""Builds the readers given the app's callbacks (e.g. ``factory.build_readers``)."""
SyncFactory = Callable[[Callable[[SyncStatus], None]], SyncRunnerLike]
"""Builds the sync runner given the app's ``on_status`` callback."""


class StationApp(App[None]):
    """The station at the serving line."""

    TITLE = "Cantine — poste de service"
    CSS_PATH = "styles/app.tcss"
    ENABLE_COMMAND_PALETTE = False
    VERTICAL_BREAKPOINTS = [(0, "-short"), (32, "-tall")]  # noqa: RUF012 (typed so by Textual)
    BINDINGS: ClassVar[list[BindingType]] = [
        # Short labels: at 80 columns the footer must still show « Quitter ».
        Binding("f2", "search", "Sans carte"),
        Binding("f3", "undo", "Annuler passage"),
        Binding("f4", "override", "Servir quand même", show=False),
        Binding("f5", "summary", "Bilan"),
        Binding("f8", "acknowledge", "Allergie vue", show=False),
        Binding("f9", "sync_now", "Synchro"),
        Binding("f10", "quit", "Quitter"),
        Binding("ctrl+q", "quit", "Quitter", show=False, priority=True),
        Binding("ctrl+c", "quit", "Quitter", show=False, priority=True),
    ]

    def __init__(
        self,
        line: ServingLine,
        *,
        clock: Clock,
        tz: ZoneInfo,
        school_name: str,
        readers: ReaderFactory | None,
        sync: SyncFactory | None,
        verdict_seconds: float,
        flash_seconds: float,
        export_dir: Path,
        monotonic: Callable[[], float],
        stale_after: timedelta,
        service_note: str,
    ) -> None:
        super().__init__()
        self.line = line
        self.clock = clock
        self.tz = tz
        self.export_dir = export_dir
        self.stale_after = stale_after
        self._reader_factory = readers
        self._sync_factory = sync
        self._monotonic = monotonic
        self.readers: list[Reader] = []
        self.reader_states: dict[str, bool] = {}
        self.sync: SyncRunnerLike | None = None
        self.sync_status: SyncStatus | None = None
        self.router: WedgeKeyRouter | None = None
        self._local_sync_due = False
        self._interrupted_search = ""
        self._sync_asked = False
        self.ready_at: float | None = None
        """``perf_counter`` once the serving screen is drawn (start-to-ready benchmark)."""
        self.serving = ServingScreen(
            line,
            clock=clock,
            tz=tz,
            school_name=school_name,
            verdict_seconds=verdict_seconds,
            flash_seconds=flash_seconds,
            service_note=service_note,
        )

    #: Keys that act on the serving screen only: hidden from the other screens' footers.
    SERVING_ONLY = frozenset({"search", "undo", "override", "acknowledge", "summary"})

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The serving keys show (and work) only on the serving screen."""
        return action not in self.SERVING_ONLY or self.screen is self.serving

    # --- life cycle -------------------------------------------------------------------------

    async def on_mount(self) -> None:
        await self.push_screen(self.serving)
        if self._reader_factory is not None:
            self.readers = list(
                self._reader_factory(self._on_scan, self._on_reader_error, self._on_reader_status)
            )
        self.reader_states = {r.name: r.connected for r in self.readers}
        wedges = [r for r in self.readers if isinstance(r, KeyWedgeReader)]
        if wedges:
            self.router = WedgeKeyRouter(self, wedges[0], self._monotonic)
        for reader in self.readers:
            reader.start()
        self.serving.show_readers(self.reader_states)
        if self._sync_factory is not None:
            self.sync = self._sync_factory(self._on_sync_status)
            self.sync.start()
        self._show_sync(self.sync.status() if self.sync else None)
        self.call_after_refresh(self._mark_ready)

    def _mark_ready(self) -> None:
        self.ready_at = time.perf_counter()
        # systemd (Type=notify): ready now; the watchdog is fed from this event loop, and
        # only while the station can serve, so a hung loop or a dead line gets restarted.
        watchdog.ready("Prêt à servir")
        heartbeat = watchdog.Heartbeat(self._can_serve)
        self.set_interval(heartbeat.interval, heartbeat.beat, name="watchdog")
        # What exists now (Textual, the stylesheet, the screens) lives as long as the app.
        # Frozen, a full garbage collection no longer walks it: unfrozen, one took 40-60 ms
        # on the line's machine and, when it fell between a scan and its frame, put that
        # verdict late.
        gc.freeze()

    def _can_serve(self) -> bool:
        """The database answers and, when readers are configured, one of them is connected."""
        self.line.views.check_database()
        return not self.reader_states or any(self.reader_states.values())

    def on_unmount(self) -> None:
        watchdog.stopping()
        if self.sync is not None:
            self.sync.stop()
        for reader in reversed(self.readers):
            reader.close()

    # --- callbacks from threads: post messages, never touch widgets -------------------------

    def _on_scan(self, event: ScanEvent) -> None:
        self.post_message(ScanReceived(event))

    def _on_reader_error(self, error: ReaderError) -> None:
        self.post_message(ReaderFailed(error))

    def _on_reader_status(self, name: str, connected: bool) -> None:
        self.post_message(ReaderStatusChanged(name, connected))

    def _on_sync_status(self, status: SyncStatus) -> None:
        self.post_message(SyncStatusChanged(status))

    # --- keys: the wedge sees every key first -------------------------------------------------

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and self.router is not None and self.router.route(event):
            event.prevent_default()
            event.stop()
            return
        await super().on_event(event)

    # --- messages up ---------------------------------------------------------------------------

    def on_scan_received(self, message: ScanReceived) -> None:
        self._serve(message.event)

    def on_code_entry_code_submitted(self, message: CodeEntry.CodeSubmitted) -> None:
        self._serve(ScanEvent(message.code, Source.WEDGE, self.clock.now(), "saisie"))

    def _serve(self, event: ScanEvent) -> None:
        # A scan always brings the full verdict to the front: whatever dialog or screen was
        # open (search, undo, quit, day summary) is closed unanswered, so its question can
        # never be confirmed by a scanner or point at a pass that is no longer the last.
        while self.screen is not self.serving and len(self.screen_stack) > 1:
            if isinstance(self.screen, SearchScreen):
                self._interrupted_search = self.screen.text  # F2 resumes the typing
            self.pop_screen()
        self.serving.serve_event(event)
        self._after_pass()

    def _after_pass(self) -> None:
        if self.sync is None and not self._local_sync_due:
            # Without a runner the pending count comes from the file: read it once the
            # verdict is on screen, not before.
            self._local_sync_due = True
            self.call_after_refresh(self._show_local_sync)

    def _show_local_sync(self) -> None:
        self._local_sync_due = False
        self._show_sync(None)

    def on_reader_status_changed(self, message: ReaderStatusChanged) -> None:
        self.reader_states[message.name] = message.connected
        self.serving.show_readers(self.reader_states)

    def on_reader_failed(self, message: ReaderFailed) -> None:
        self.serving.show_readers(self.reader_states, message.error.message)

    def on_sync_status_changed(self, message: SyncStatusChanged) -> None:
        self._show_sync(message.status)
        if self._sync_asked and message.status.last_cycle:
            self._sync_asked = False
            ok = message.status.last_error is None
            self.notify(
                f"Synchronisation : {message.status.last_cycle}",
                severity="information" if ok else "error",
                timeout=8,
            )

    def _show_sync(self, status: SyncStatus | None) -> None:
        if status is None:
            status = self._local_sync_status()
        self.sync_status = status
        self.serving.show_sync(status)

    def _local_sync_status(self) -> SyncStatus:
        """Without a runner the file still says what is pending and how old the data is."""
        facts = self.line.views.sync_facts()
        return SyncStatus(
            online=False,
            pending=facts.pending,
            rejected=facts.rejected,
            last_success=None,
            pulled_at=facts.pulled_at,
            last_error="portail non configuré" if self._sync_factory is None else None,
            now=self.clock.now(),
            stale_after=self.stale_after,
        )

    # --- actions (keys in the footer) -------------------------------------------------------------

    def action_search(self) -> None:
        if self.screen is self.serving:
            text, self._interrupted_search = self._interrupted_search, ""
            self.push_screen(SearchScreen(self.line, text), self._serve_child)

    def _serve_child(self, child_id: str | None) -> None:
        if child_id:
            self.serving.serve_child(child_id)
            self._after_pass()

    def action_undo(self) -> None:
        if self.screen is not self.serving:
            return
        meal = self.line.views.last_meal()
        if meal is None:
            self.notify("Aucun passage à annuler sur cette ligne.", severity="warning")
            return

        def confirmed(reason: str | None) -> None:
            if reason is not None:
                self.serving.undo(meal.meal_id, reason)
                self._after_pass()

        self.push_screen(UndoScreen(meal, self.tz), confirmed)

    def action_override(self) -> None:
        """F4 after a refusal for no reservation or a short balance: serve with a motive."""
        if self.screen is not self.serving:
            return
        refused = self.serving.overridable()
        if refused is None or refused.child is None:
            self.notify(
                "« Servir quand même » : seulement après un refus pour absence de réservation"
                " ou solde insuffisant.",
                severity="warning",
            )
            return
        child_id = refused.child.id

        def chosen(motive: str | None) -> None:
            if motive is not None:
                self.serving.override(child_id, motive)
                self._after_pass()

        self.push_screen(OverrideScreen(refused), chosen)

    def action_acknowledge(self) -> None:
        """F8 after an allergy verdict the school asks staff to acknowledge."""
        if self.screen is self.serving:
            self.serving.acknowledge()
            self._after_pass()

    def action_summary(self) -> None:
        if self.screen is self.serving:
            self.push_screen(
                DaySummaryScreen(
                    self.line, clock=self.clock, tz=self.tz, export_dir=self.export_dir
                )
            )

    def action_sync_now(self) -> None:
        if self.sync is None:
            self.notify("Aucun portail configuré : synchronisation impossible.", severity="warning")
            return
        self.notify("Synchronisation demandée…", timeout=3)
        self._sync_asked = True  # the next report ends with what the cycle did
        self._trigger_sync()

    @work(thread=True, exclusive=True, exit_on_error=False, group="sync")
    def _trigger_sync(self) -> None:
        if self.sync is not None:
            self.sync.trigger()

    async def action_quit(self) -> None:
        if isinstance(self.screen, QuitConfirmScreen):
            return

        def answered(leave: bool | None) -> None:
            if leave:
                self.exit()

        self.push_screen(QuitConfirmScreen(), answered)


def build_app(
    line: ServingLine,
    *,
    readers: ReaderFactory | None = None,
    sync: SyncFactory | None = None,
    clock: Clock | None = None,
    tz: ZoneInfo | None = None,
    school_name: str = "",
    verdict_seconds: float = 8.0,
    flash_seconds: float = FLASH_SECONDS,
    export_dir: Path | None = None,
    monotonic: Callable[[], float] = time.monotonic,
    stale_after: timedelta = timedelta(hours=24),
    service_note: str = "",
) -> StationApp:
    """The serving app on ``line`` (the engine and its store).

    ``readers`` builds the readers from the app's callbacks (wedge entries must be
    ``KeyWedgeReader``: ``build_readers(..., wedge_input="keys")``); ``sync`` builds the
    sync runner from the app's status callback; both optional (offline, no hardware).
    ``clock`` defaults to the engine's; ``tz`` to the engine's zone.
    """
    if not school_name:
        school_name = line.views.school_name()
    return StationApp(
        line,
        clock=clock or line.clock,
        tz=tz or line.tz,
        school_name=school_name,
        readers=readers,
        sync=sync,
        verdict_seconds=verdict_seconds,
        flash_seconds=flash_seconds,
        export_dir=export_dir or line.store.path.parent / "exports",
        monotonic=monotonic,
        stale_after=stale_after,
        service_note=service_note,
    )
