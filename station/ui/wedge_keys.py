"""Routes the terminal's key events through the keyboard-wedge detector.

A wedge scanner types into the terminal. The app sees every key before the focused
widget does, so a scan is recognised whatever has focus, and the characters of a burst
never land in the search box. A person's keys are held at most ``max_interval``
(50 ms) and then given back: inserted into the focused input, or replayed as key
events so bindings and buttons still work. See :mod:`station.readers.wedge`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual import events
from textual.app import App
from textual.keys import _character_to_key
from textual.widgets import Input

from station.readers.wedge import KeyWedgeReader


class WedgeKeyRouter:
    """Feeds keys to a :class:`KeyWedgeReader` and delivers what belongs to the widgets."""

    def __init__(
        self, app: App[Any], wedge: KeyWedgeReader, monotonic: Callable[[], float]
    ) -> None:
        self.app = app
        self.wedge = wedge
        self.monotonic = monotonic
        self._replayed: list[events.Key] = []
        """Keys given back as events: they must not go through the detector again."""

    def route(self, event: events.Key) -> bool:
        """Account for ``event``; True when it must not reach the widgets (held or scan)."""
        if event.is_forwarded:
            return False  # bubbling back up from the widgets: bindings come next
        if any(event is replayed for replayed in self._replayed):
            self._replayed = [r for r in self._replayed if r is not event]
            return False
        char = event.character
        key = char if char is not None and len(char) == 1 and char.isprintable() else event.key
        decision = self.wedge.feed_key(key, self.monotonic())
        if decision.release:
            self.deliver(decision.release)
        if decision.swallow:
            self.app.set_timer(self.wedge.max_interval + 0.01, self.flush)
        return decision.swallow

    def flush(self) -> None:
        """Once the burst has stalled, what was held is a person's typing."""
        text = self.wedge.flush(self.monotonic())
        if text:
            self.deliver(text)
        elif self.wedge.detector.holding:
            self.app.set_timer(self.wedge.max_interval / 2, self.flush)

    def deliver(self, text: str) -> None:
        focused = self.app.focused
        if isinstance(focused, Input):
            focused.insert_text_at_cursor(text)
            return
        for char in text:
            key = char if char.isalnum() else _character_to_key(char)
            replay = events.Key(key, char)
            self._replayed.append(replay)
            self.app.post_message(replay)
