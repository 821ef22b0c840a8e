"""Debouncing of repeated reads; a pure class, works without a UI.

A scanner in continuous mode, or a card held in front of a camera, reads the same code
many times. The same code from the same reader within ``window`` seconds of its previous
read is one presentation: only the first read passes. The window slides: it is measured
from the last time the code was *seen*, so a card held still for ten seconds is still one
scan, and a card shown again after a pause of more than the window is a new scan (the
rules then refuse it as ``already_served`` if it was served).
"""

from __future__ import annotations

DEFAULT_WINDOW_SECONDS = 3.0


class Debouncer:
    """Decide whether a read is a new presentation. Timestamps are seconds (any epoch)."""

    def __init__(self, window: float = DEFAULT_WINDOW_SECONDS) -> None:
        if window < 0:
            raise ValueError("window must be >= 0")
        self.window = window
        self._last_seen: dict[tuple[str, str], float] = {}

    def accept(self, code: str, at: float, reader: str = "") -> bool:
        """True when ``code`` read by ``reader`` at ``at`` is a new scan; records the read."""
        key = (reader, code)
        previous = self._last_seen.get(key)
        self._last_seen[key] = at
        if len(self._last_seen) > 256:
            self._forget_before(at - self.window)
        return previous is None or at - previous > self.window or at < previous

    def _forget_before(self, limit: float) -> None:
        # Bounds memory when garbage keeps producing distinct codes.
        self._last_seen = {k: t for k, t in self._last_seen.items() if t >= limit}
