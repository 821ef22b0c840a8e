"""One exception hierarchy for the station; works without a UI.

Library errors are translated at each boundary with ``raise ... from e``; only the UI
and the CLI decide how to show them. ``message`` is French (shown to staff), ``title``
a short heading.
"""

from __future__ import annotations


class StationError(Exception):
    """Base of every error the station raises on purpose."""

    def __init__(self, message: str, title: str = "Erreur") -> None:
        super().__init__(message)
        self.message = message
        self.title = title


class ConfigError(StationError):
    """The configuration file is missing, malformed or holds an unknown key."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "Configuration")


class StoreError(StationError):
    """The local database cannot be used (locked, corrupt, disk full, unreadable)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "Base de données")


class VoidError(StationError):
    """A meal cannot be voided (unknown, already voided, outside the undo window)."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message, "Annulation")
        self.reason = reason


class UnknownChildError(StationError):
    """A manual serve named a child that is not in the local cache."""

    def __init__(self, child_id: str) -> None:
        super().__init__(f"Élève inconnu : {child_id}", "Élève")
        self.child_id = child_id


class OverrideError(StationError):
    """A « Servir quand même » without one of the listed motives."""

    def __init__(self, motive: str) -> None:
        super().__init__(f"Motif de dérogation inconnu : {motive!r}", "Dérogation")
        self.motive = motive


class SyncError(StationError):
    """The portal could not be reached or answered something unusable."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "Synchronisation")


class ReaderError(StationError):
    """A scanner or camera failed; readers report it and retry."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "Lecteur")
