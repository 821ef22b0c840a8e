"""Sync status line: online / offline, pending meals, data age; loud when stale."""

from __future__ import annotations

from textual.widgets import Static

from station.sync.status import SyncStatus
from station.ui.format import sync_line
from station.ui.widgets.repaint import update_in_place


class SyncStatusLine(Static):
    """One line; classes ``-offline`` and ``-stale`` colour it."""

    DEFAULT_CSS = """
    SyncStatusLine { height: auto; }
    """

    def show(self, status: SyncStatus | None) -> None:
        self.set_class(status is not None and not status.online, "-offline")
        self.set_class(status is not None and status.stale, "-stale")
        update_in_place(self, sync_line(status))
