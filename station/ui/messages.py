"""Messages the app receives from its threads (readers, sync) and its screens.

Readers and the sync runner never import Textual: the app hands them closures that post
these messages, which Textual makes safe to post from any thread.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from station.core.errors import ReaderError
from station.readers.events import ScanEvent
from station.sync.status import SyncStatus


@dataclass
class ScanReceived(Message):
    """A reader read a code (posted from the reader's thread or the key router)."""

    event: ScanEvent


@dataclass
class ReaderStatusChanged(Message):
    """A reader connected or lost its device."""

    name: str
    connected: bool


@dataclass
class ReaderFailed(Message):
    """A reader reported a failure (it retries by itself)."""

    error: ReaderError


@dataclass
class SyncStatusChanged(Message):
    """The sync runner finished an attempt."""

    status: SyncStatus
