"""The verdict of the last scan: big word, reason, who, badges, money.

Green SERVI, orange SERVI with the warning, red REFUSÉ with the reason in plain French.
The serving screen calls :meth:`VerdictPanel.show_verdict`; the panel only draws.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Static

from station.core.models import Child, Verdict, Warning
from station.core.money import format_euros
from station.engine import VoidResult
from station.ui.format import allergen_labels, child_name, money_line, verdict_headline
from station.ui.widgets.repaint import update_in_place
from station.ui.widgets.serving.alert_badges import AlertBadges
from station.ui.widgets.serving.big_line import BigLine
from station.ui.widgets.serving.child_photo import PHOTO_COMPACT, ChildPhoto
from station.ui.widgets.serving.verdict_banner import VerdictBanner

#: From this terminal height the reason and the name are drawn in block letters too.
BIG_TEXT_ROWS = 45
_STATES = ("-idle", "-served", "-warning", "-allergy", "-refused", "-voided", "-error", "-flash")
# How long the frame flashes when a verdict arrives: two identical refusals in a row must
# still look like two reads.
FLASH_SECONDS = 0.4
#: Below this many terminal rows an allergy verdict keeps the photo in its regular frame:
#: the allergens in block letters under it must stay on screen.
ALLERGY_ROOM_ROWS = 40
# Warnings that turn a served verdict orange: staff must look before handing the tray.
# An allergy is a state of its own (another colour, another frame, the allergens large).
_ORANGE = {Warning.LOW_BALANCE, Warning.NO_TARIFF}


class VerdictPanel(Vertical):
    """Big verdict for staff; one of the states idle / served / warning / refused / voided.

    Time to screen is mostly Textual's restyle and relayout, so a new verdict touches
    only what changed: the panel's classes when the state changes, a line's text when it
    differs, and a relayout only when a line appears, disappears or changes height.
    """

    def __init__(self, *, flash_seconds: float = FLASH_SECONDS, id: str | None = None) -> None:
        super().__init__(id=id)
        self.flash_seconds = flash_seconds
        """How long a new verdict flashes the frame; 0 never flashes (stable snapshots)."""
        self.state = "-idle"
        self._texts: dict[str, str] = {}
        self.reads = 0
        """Verdicts shown since the app started: the « lecture n° » staff see change."""

    def compose(self) -> ComposeResult:
        yield VerdictBanner(id="verdict-word")
        yield BigLine(min_screen_rows=BIG_TEXT_ROWS, id="verdict-reason")
        with Horizontal(id="verdict-who"):
            yield ChildPhoto(id="verdict-photo")
            with Vertical(id="verdict-identity"):
                yield BigLine(min_screen_rows=BIG_TEXT_ROWS, id="verdict-name")
                yield Static(id="verdict-class")
                yield AlertBadges(id="verdict-badges")
                yield Static(id="verdict-money")
        yield BigLine(id="verdict-allergens")
        yield Static(id="verdict-ack")
        yield Static(id="verdict-stamp")

    def on_mount(self) -> None:
        self.show_idle()

    def _set_state(self, state: str, *, flash: bool = False) -> None:
        flash = flash and self.flash_seconds > 0
        compact = state == "-allergy" and self.app.size.height < ALLERGY_ROOM_ROWS
        # One restyle of the panel's subtree per change (each class call is one), none
        # when the state stays the same: restyling is most of the time to screen.
        if (
            flash
            or state != self.state
            or not self.has_class(state)
            or (self.has_class(PHOTO_COMPACT) != compact)
        ):
            extra = ["-flash"] if flash else []
            extra += [PHOTO_COMPACT] if compact else []
            kept = [c for c in self.classes if c not in _STATES and c != PHOTO_COMPACT]
            self.set_classes([*kept, state, *extra])
        self.state = state
        if flash:
            self.set_timer(self.flash_seconds, self._end_flash)

    def _end_flash(self) -> None:
        self.remove_class("-flash")

    def _stamp(self, at: datetime | None, tz: ZoneInfo) -> None:
        """« Lecture n° 12 à 12:04:31 »: a new read always changes the panel."""
        self.reads += 1
        when = f" à {at.astimezone(tz):%H:%M:%S}" if at is not None else ""
        self._text("verdict-stamp", f"Lecture n° {self.reads}{when}")

    def _text(self, widget_id: str, text: str) -> None:
        if self._texts.get(widget_id) == text:
            return
        self._texts[widget_id] = text
        big = self.query_one(f"#{widget_id}")
        if isinstance(big, BigLine):
            big.show(text)
            return
        widget = self.query_one(f"#{widget_id}", Static)
        shown = bool(text)
        if widget.display != shown:
            widget.display = shown
            widget.update(text)
            return
        if shown:
            update_in_place(widget, text)

    def show_idle(self, hint: str = "Présentez la carte") -> None:
        self._set_state("-idle")
        self._text("verdict-stamp", "")
        self.query_one("#verdict-allergens", BigLine).show("")
        self.show_ack("")
        self.query_one(VerdictBanner).show("")
        self._text("verdict-reason", hint)
        self._who(None, "", "")
        self._text("verdict-money", "")

    def show_verdict(self, verdict: Verdict, tz: ZoneInfo) -> None:
        allergens = ", ".join(allergen_labels(verdict.child)) if verdict.child else ""
        if not verdict.served:
            state = "-refused"
        elif Warning.ALLERGY in verdict.warnings:
            state = "-allergy"
        elif _ORANGE.intersection(verdict.warnings):
            state = "-warning"
        else:
            state = "-served"
        self._set_state(state, flash=True)
        self._stamp(verdict.scanned_at, tz)
        self.query_one(VerdictBanner).show("SERVI" if verdict.served else "REFUSÉ")
        self._text("verdict-reason", verdict_headline(verdict, tz))
        child = verdict.child
        self._who(
            child,
            child_name(child) if child else (verdict.card or ""),
            f"Classe {child.class_name}" if child and child.class_name else "",
        )
        self._text("verdict-money", money_line(verdict) if child else "")
        self.query_one("#verdict-allergens", BigLine).show(
            allergens.upper() if state == "-allergy" else ""
        )
        self.show_ack("F4 : servir quand même (dérogation)" if verdict.overridable else "")

    def show_ack(self, text: str) -> None:
        """The acknowledgement line at the foot of an allergy verdict (empty hides it); it
        takes the place of the read stamp, so a small terminal still shows it."""
        self._text("verdict-ack", text)
        stamp = self.query_one("#verdict-stamp")
        if stamp.display == bool(text):
            stamp.display = not text

    def show_void(self, result: VoidResult) -> None:
        self._set_state("-voided")
        self.query_one("#verdict-allergens", BigLine).show("")
        self.query_one(VerdictBanner).show("ANNULÉ")
        self._text(
            "verdict-reason",
            f"Passage annulé — remboursé {format_euros(result.refund_cents)}",
        )
        child = result.child
        self._who(child, child_name(child) if child else "", "")
        self._text("verdict-money", f"Solde après : {format_euros(result.balance_cents)}")

    def show_error(self, title: str, message: str) -> None:
        self._set_state("-error", flash=True)
        self.query_one("#verdict-allergens", BigLine).show("")
        self.query_one(VerdictBanner).show("ERREUR")
        self._text("verdict-reason", f"{title} : {message}")
        self._who(None, "", "")
        self._text("verdict-money", "")

    def _who(self, child: Child | None, name: str, klass: str) -> None:
        self.query_one(ChildPhoto).show(child)
        self._text("verdict-name", name)
        self._text("verdict-class", klass)
        self.query_one(AlertBadges).show(child)
        self.query_one("#verdict-who").display = bool(name)  # relayout only when it flips
