"""The serving app driven through Pilot on a real station database: every staff flow."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input

from station.core.clock import FixedClock
from station.core.models import Source
from station.engine import ServingLine
from station.readers.events import ScanEvent
from station.store import Store
from station.ui.app import StationApp, build_app
from station.ui.messages import ScanReceived
from station.ui.screens.day_summary import DaySummaryScreen
from station.ui.screens.override import OverrideScreen
from station.ui.screens.quit_confirm import QuitConfirmScreen
from station.ui.screens.search import SearchScreen
from station.ui.screens.undo import UndoScreen
from station.ui.widgets.serving.big_line import BigLine
from station.ui.widgets.serving.verdict_panel import VerdictPanel
from tests.support.ui import (
    FakeSync,
    at,
    burst,
    flat,
    type_slowly,
    wedge_only,
    widget_text,
)

pytestmark = pytest.mark.anyio

SIZE = (100, 32)


def make_app(
    line: ServingLine,
    clock: FixedClock,
    tmp_path: Path,
    *,
    sync: FakeSync | None = None,
) -> StationApp:
    return build_app(
        line,
        clock=clock,
        readers=wedge_only(clock),
        export_dir=tmp_path / "exports",
        sync=sync,
    )


@pytest.fixture
def app(line: ServingLine, clock: FixedClock, tmp_path: Path) -> StationApp:
    """The app on the seeded station, keyboard wedge as the reader, offline."""
    return make_app(line, clock, tmp_path)


class Bell:
    def __init__(self, app: StationApp) -> None:
        self.rings = 0
        app.bell = self.ring  # type: ignore[method-assign]

    def ring(self) -> None:
        self.rings += 1


async def reader_scan(app: StationApp, pilot: object, code: str) -> None:
    """A code delivered by a reader thread, as the app receives it."""
    app.post_message(ScanReceived(ScanEvent(code, Source.SERIAL, app.clock.now(), "douchette")))
    await pilot.pause()  # type: ignore[attr-defined]


def state(app: StationApp) -> str:
    return app.serving.query_one(VerdictPanel).state


async def test_a_scanned_card_with_a_reservation_shows_servi_in_green_with_name_and_money(
    app: StationApp, line: ServingLine
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await burst(app, pilot, "1849-00001")
        assert state(app) == "-served"
        text = flat(app)
        assert "Réservé" in text
        assert "Rémi RESERVE" in text
        assert "Classe 6B" in text
        assert "Débité 4,15 € · solde 45,85 €" in text
        assert widget_text(app, "#counters") == "Servis 1 Réservés 5 Encore attendus 4"
        assert widget_text(app, "#passes") == "12:00 RESERVE Rémi (6B) servi — réservé 4,15 €"
    with Store(line.store.path) as store, store.read() as conn:
        assert conn.execute("SELECT COUNT(*) FROM meals").fetchone()[0] == 1


async def test_an_allergic_child_has_a_state_of_its_own_with_the_allergens_in_large(
    app: StationApp,
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await reader_scan(app, pilot, "1849-00005")
        assert state(app) == "-allergy"  # not the orange of a low balance
        text = flat(app)
        assert "ALLERGIE / PAI : arachide" in text
        assert "RÉGIME : sans porc" in text
        assert "Solde bas" in text
        big = app.serving.query_one("#verdict-allergens", BigLine)
        assert big.text == "ARACHIDE" and big.size.height == 3  # block letters (32 rows)
        assert "█" in widget_text(app, "#verdict-allergens")
        assert "F8" not in text  # this school does not ask for an acknowledgement


async def test_when_the_school_requires_it_an_allergy_holds_the_next_card_until_f8(
    line: ServingLine, clock: FixedClock, tmp_path: Path
) -> None:
    line.store.apply_page(
        [{"seq": 900, "kind": "settings", "key": "1849", "data": {"allergy_ack_required": 1}}],
        900,
        "ligne-1",
        clock.now().isoformat(),
    )
    app = make_app(line, clock, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await reader_scan(app, pilot, "1849-00005")
        assert state(app) == "-allergy"
        assert "F8 : allergie vue, servir la suite" in flat(app)
        await burst(app, pilot, "1849-00001")  # the next pupil's card, read at once
        await pilot.pause()
        assert state(app) == "-allergy"  # still the allergy on screen
        assert "1 carte en attente" in flat(app)
        assert app.serving.last_verdict.child.id == "C0005"  # type: ignore[union-attr]
        with Store(line.store.path) as store, store.read() as conn:
            assert conn.execute("SELECT COUNT(*) FROM meals").fetchone()[0] == 1
        await pilot.press("f8")
        await pilot.pause()
        assert state(app) == "-served"  # the kept card is served right after
        assert app.serving.last_verdict.child.id == "C0001"  # type: ignore[union-attr]
        assert "F8" not in flat(app)
        with Store(line.store.path) as store, store.read() as conn:
            assert conn.execute("SELECT COUNT(*) FROM meals").fetchone()[0] == 2


@pytest.mark.parametrize(
    ("code", "when", "expected"),
    [
        ("%%garbage%%", (12, 0), "Code illisible"),
        ("2000-00001", (12, 0), "Carte d'un autre établissement"),
        ("1849-09999", (12, 0), "Carte inconnue"),
        ("1849-00003", (12, 0), "Carte bloquée (perdue)"),
        ("1849-00001", (16, 0), "Aucun service en cours"),
        ("1849-00002", (12, 0), "Pas de réservation"),
        ("1849-00004", (12, 0), "Solde insuffisant : 1,00 €"),
    ],
)
async def test_each_refusal_shows_refuse_in_red_with_the_reason_in_french_and_rings(
    app: StationApp,
    clock: FixedClock,
    code: str,
    when: tuple[int, int],
    expected: str,
) -> None:
    clock.set(at(*when))
    async with app.run_test(size=SIZE) as pilot:
        bell = Bell(app)
        await reader_scan(app, pilot, code)
        assert state(app) == "-refused"
        assert expected in flat(app)
        assert bell.rings == 1


async def test_a_second_pass_is_refused_with_the_time_of_the_first(
    app: StationApp, clock: FixedClock
) -> None:
    clock.set(at(12, 4))
    async with app.run_test(size=SIZE) as pilot:
        await reader_scan(app, pilot, "1849-00001")
        assert state(app) == "-served"
        clock.advance(minutes=3)
        await reader_scan(app, pilot, "1849-00001")
        assert state(app) == "-refused"
        assert "Déjà passé à 12:04" in flat(app)


async def test_the_verdict_goes_back_to_waiting_after_a_few_seconds(
    line: ServingLine, clock: FixedClock, tmp_path: Path
) -> None:
    app = build_app(line, clock=clock, verdict_seconds=1.5)
    async with app.run_test(size=SIZE) as pilot:
        await reader_scan(app, pilot, "1849-00001")
        assert state(app) == "-served"
        for _ in range(100):  # generous on a loaded machine; the timer is 1.5 s
            await pilot.pause(0.05)
            if state(app) == "-idle":
                break
        assert state(app) == "-idle"
        assert "Présentez la carte" in flat(app)


async def test_a_code_typed_by_hand_in_the_code_box_is_served(app: StationApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await type_slowly(pilot, "1849-00001")
        assert app.serving.query_one("#code-entry", Input).value == "1849-00001"
        await pilot.press("enter")
        await pilot.pause()
        assert state(app) == "-served"
        assert app.serving.query_one("#code-entry", Input).value == ""


async def test_f2_finds_a_child_by_name_and_serves_them_manually(app: StationApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f2")
        await pilot.pause()
        assert isinstance(app.screen, SearchScreen)
        await type_slowly(pilot, "ALLE")
        assert "ALLERGIQUE Alix — 6B · réservé ⚠ allergie" in flat(app)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is app.serving
        verdict = app.serving.last_verdict
        assert verdict is not None and verdict.served
        assert verdict.source is Source.MANUAL
        assert verdict.child is not None and verdict.child.id == "C0005"
        assert "Alix ALLERGIQUE" in flat(app)


async def test_f2_says_who_is_reserved_and_who_was_already_served(app: StationApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await reader_scan(app, pilot, "1849-00001")  # Rémi is served at 12:00
        await pilot.press("f2")
        await pilot.pause()
        await type_slowly(pilot, "reserve")
        shown = flat(app)
        assert "RESERVE Rémi — 6B · déjà servi à 12:00" in shown
        assert "RESERVE Rose — 6B · réservé" in shown
        await pilot.press("escape")
        await pilot.press("f2")
        await pilot.pause()
        await type_slowly(pilot, "sam")
        assert "SANSRESA Sam — 6B · sans réservation" in flat(app)


async def test_a_scan_while_staff_type_a_name_shows_its_verdict_and_f2_resumes_the_name(
    app: StationApp,
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f2")
        await pilot.pause()
        await type_slowly(pilot, "RES")
        await burst(app, pilot, "1849-00001")
        await pilot.pause()
        assert app.screen is app.serving  # the verdict in front, not behind the dialog
        verdict = app.serving.last_verdict
        assert verdict is not None and verdict.served and verdict.child is not None
        assert verdict.child.id == "C0001"
        assert state(app) == "-served"
        assert "Rémi RESERVE" in widget_text(app, "#verdict")
        await pilot.press("f2")
        await pilot.pause()
        assert isinstance(app.screen, SearchScreen)
        name = app.screen.query_one("#search-name", Input)
        assert name.value == "RES"  # the name typed before the scan is not lost
        await type_slowly(pilot, "E")  # typing goes on where it was
        assert name.value == "RESE"


async def test_f3_voids_the_last_pass_after_confirmation_and_refunds_it(
    app: StationApp, line: ServingLine, clock: FixedClock
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await reader_scan(app, pilot, "1849-00001")
        meal_id = app.serving.last_verdict.meal_id  # type: ignore[union-attr]
        clock.advance(minutes=2)
        await pilot.press("f3")
        await pilot.pause()
        assert isinstance(app.screen, UndoScreen)
        assert "RESERVE Rémi (6B) — servi à 12:00 — 4,15 € remboursés" in flat(app)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is app.serving
        assert state(app) == "-voided"
        assert "Passage annulé — remboursé 4,15 €" in flat(app)
        assert "Solde après : 50,00 €" in flat(app)
    with Store(line.store.path) as store, store.read() as conn:
        row = conn.execute("SELECT meal_id, reason FROM voids").fetchone()
    assert (row["meal_id"], row["reason"]) == (meal_id, "erreur d'élève")


async def test_f3_escape_leaves_the_pass_alone(app: StationApp, line: ServingLine) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await reader_scan(app, pilot, "1849-00001")
        await pilot.press("f3")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.serving
        assert state(app) == "-served"
    with Store(line.store.path) as store, store.read() as conn:
        assert conn.execute("SELECT COUNT(*) FROM voids").fetchone()[0] == 0


async def test_f3_outside_the_undo_window_is_refused_with_the_reason(
    app: StationApp, clock: FixedClock
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await reader_scan(app, pilot, "1849-00001")
        clock.advance(minutes=11)
        await pilot.press("f3")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert state(app) == "-error"
        assert "Délai d'annulation dépassé" in flat(app)


async def test_f5_day_summary_counts_the_day_and_f6_exports_it(
    app: StationApp, clock: FixedClock
) -> None:
    clock.set(at(11, 52))
    async with app.run_test(size=(128, 40)) as pilot:
        for code in ("1849-00001", "1849-00005", "1849-00002", "1849-00003"):
            await reader_scan(app, pilot, code)
            clock.advance(minutes=5)
        await reader_scan(app, pilot, "1849-00007")  # forfait, no reservation
        await pilot.press("f5")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, DaySummaryScreen)
        assert screen.summary is not None
        lunch = screen.summary.service("dejeuner")
        assert lunch is not None
        assert lunch.tally.reserved == 5
        assert lunch.tally.served_reserved == 2
        assert lunch.tally.served_unreserved == 1
        assert lunch.tally.missing == 3
        assert lunch.refusals == {"no_reservation": 1, "card_blocked": 1}
        assert lunch.charged_cents == 830
        assert [n for _, n in screen.summary.passes_per_slot] == [2, 0, 1]
        services = widget_text(app, "#summary-services")
        print(services)
        assert "Déjeuner 11:15–13:45 │ 5 │ 2 │ 1 │ 3 attendus │ 2 │ 8,30 €" in services
        assert "Carte bloquée 1 · Pas de réservation 1" in services
        assert "6B │ 5 / 3 / 3" in widget_text(app, "#summary-classes")
        assert "11:50" in widget_text(app, "#summary-chart")
        await pilot.press("f6")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert screen.exported is not None
        content = screen.exported.read_text(encoding="utf-8-sig")
        assert "Pas de réservation" in content
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.serving


async def test_the_sync_line_turns_to_a_warning_when_the_portal_goes_away_and_back(
    line: ServingLine, clock: FixedClock, tmp_path: Path
) -> None:
    sync = FakeSync(clock)
    app = make_app(line, clock, tmp_path, sync=sync)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert sync.started
        assert "Synchronisation : En ligne — 0 en attente" in flat(app)
        sync.online = False
        sync.report()
        await pilot.pause()
        text = flat(app)
        assert "⚠ Synchronisation : Hors ligne — 2 en attente" in text
        assert "DONNÉES ANCIENNES" in text
        assert app.serving.query_one("#sync-status").has_class("-stale")
        sync.online = True
        await pilot.press("f9")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert sync.triggered == 1
        assert "Synchronisation : En ligne" in flat(app)
        toasts = [n.message for n in app._notifications]
        assert "Synchronisation : 2 envoyés, 3 changements reçus" in toasts  # F9's answer
        assert not app.serving.query_one("#sync-status").has_class("-stale")
    assert sync.stopped


async def test_a_scan_on_the_day_summary_brings_the_verdict_to_the_front(
    app: StationApp,
) -> None:
    async with app.run_test(size=(128, 40)) as pilot:
        await pilot.press("f5")
        await pilot.pause()
        assert isinstance(app.screen, DaySummaryScreen)
        await reader_scan(app, pilot, "1849-00001")
        await pilot.pause()
        assert app.screen is app.serving
        assert app.serving.last_verdict is not None and app.serving.last_verdict.served
        assert "Rémi RESERVE" in widget_text(app, "#verdict")


async def test_leaving_asks_for_confirmation(app: StationApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f10")
        await pilot.pause()
        assert isinstance(app.screen, QuitConfirmScreen)
        await type_slowly(pilot, "n")
        assert app.screen is app.serving
        await pilot.press("f10")
        await pilot.pause()
        await type_slowly(pilot, "o")
        assert app.return_code == 0
        assert not app.is_running


async def test_a_scanner_burst_on_the_quit_dialog_never_answers_it(app: StationApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f10")
        await pilot.pause()
        assert isinstance(app.screen, QuitConfirmScreen)
        app.screen.query_one("#quit-yes").focus()  # even with « Quitter » under the cursor
        await burst(app, pilot, "1849-00001")
        await pilot.pause()
        assert app.is_running and app.return_code is None
        assert app.screen is app.serving
        verdict = app.serving.last_verdict
        assert verdict is not None and verdict.served


async def test_the_undo_dialog_names_its_pass_and_a_new_scan_closes_it_unanswered(
    app: StationApp, line: ServingLine
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await reader_scan(app, pilot, "1849-00001")
        first = app.serving.last_verdict
        await pilot.press("f3")
        await pilot.pause()
        assert isinstance(app.screen, UndoScreen)
        assert "Annuler le passage de RESERVE Rémi ?" in flat(app)
        await reader_scan(app, pilot, "1849-00006")  # the next pupil arrives
        await pilot.pause()
        assert app.screen is app.serving
        second = app.serving.last_verdict
        assert second is not None and second.child is not None and second.child.id == "C0006"
        await pilot.press("enter")  # an Enter meant for the old dialog voids nothing
        await pilot.pause()
        with Store(line.store.path) as store, store.read() as conn:
            assert conn.execute("SELECT COUNT(*) FROM voids").fetchone()[0] == 0
        assert first is not None and first.meal_id is not None


async def test_two_identical_refusals_in_a_row_still_look_like_two_reads(
    app: StationApp, clock: FixedClock
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        panel = app.serving.query_one(VerdictPanel)
        # A flash long enough that a loaded machine still sees it after the scan returns.
        panel.flash_seconds = 2.0
        await reader_scan(app, pilot, "garbage")
        first = widget_text(app, "#verdict")
        assert panel.has_class("-flash")
        assert "Lecture n° 1 à 12:00:00" in first
        for _ in range(100):  # the flash ends by itself
            await pilot.pause(0.1)
            if not panel.has_class("-flash"):
                break
        assert not panel.has_class("-flash")
        clock.advance(seconds=2)
        await reader_scan(app, pilot, "garbage")
        second = widget_text(app, "#verdict")
        assert panel.has_class("-flash")
        assert "Lecture n° 2 à 12:00:02" in second
        assert first != second


async def test_f4_serves_a_child_refused_for_no_reservation_with_a_motive(
    app: StationApp, line: ServingLine
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await reader_scan(app, pilot, "1849-00002")  # Sam has no reservation
        assert state(app) == "-refused"
        assert "F4 : servir quand même" in flat(app)
        await pilot.press("f4")
        await pilot.pause()
        assert isinstance(app.screen, OverrideScreen)
        assert "Servir quand même Sam SANSRESA (6B) ?" in flat(app)
        await pilot.press("down", "enter")  # « Solde insuffisant, famille prévenue »
        await pilot.pause()
        assert app.screen is app.serving
        verdict = app.serving.last_verdict
        assert verdict is not None and verdict.served
        assert (verdict.reason.value, verdict.source.value, verdict.charged_cents) == (
            "override",
            "override",
            415,
        )
        assert "Dérogation (servi quand même)" in flat(app)
        with Store(line.store.path) as store, store.read() as conn:
            raw = conn.execute("SELECT raw FROM scan_log ORDER BY id DESC LIMIT 1").fetchone()[0]
            payload = conn.execute("SELECT payload FROM outbox ORDER BY id DESC").fetchone()[0]
        assert raw == "derogation:famille_prevenue"
        assert '"source": "override"' in payload  # synced to the portal as an override


async def test_f4_is_never_offered_for_a_blocked_card(app: StationApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await reader_scan(app, pilot, "1849-00003")  # lost card
        assert state(app) == "-refused"
        assert "F4" not in flat(app)
        await pilot.press("f4")
        await pilot.pause()
        assert app.screen is app.serving
        assert app.serving.last_verdict.reason.value == "card_blocked"  # type: ignore[union-attr]


@pytest.mark.parametrize(("size", "rows"), [((100, 32), 1), ((200, 50), 3)])
async def test_the_name_and_reason_are_in_block_letters_where_the_terminal_allows(
    app: StationApp, size: tuple[int, int], rows: int
) -> None:
    async with app.run_test(size=size) as pilot:
        await reader_scan(app, pilot, "1849-00001")
        await pilot.pause()
        name = app.serving.query_one("#verdict-name", BigLine)
        reason = app.serving.query_one("#verdict-reason", BigLine)
        assert name.text == "Rémi RESERVE" and reason.text == "Réservé"
        assert (name.size.height, reason.size.height) == (rows, rows)


async def test_the_day_summary_footer_offers_no_serving_key(app: StationApp) -> None:
    async with app.run_test(size=(128, 40)) as pilot:
        assert "Sans carte" in flat(app)
        await pilot.press("f5")
        await pilot.pause()
        assert isinstance(app.screen, DaySummaryScreen)
        footer = flat(app)
        assert "Exporter CSV" in footer and "Quitter" in footer
        assert "Sans carte" not in footer and "Annuler passage" not in footer
        await pilot.press("f2")  # does nothing here
        await pilot.pause()
        assert isinstance(app.screen, DaySummaryScreen)
