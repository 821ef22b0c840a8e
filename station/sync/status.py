"""What the sync side tells the line: online or not, pending meals, data age."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class SyncStatus:
    """A snapshot of the link with the portal, for the status bar and ``doctor``."""

    online: bool
    """The last exchange with the portal succeeded."""
    pending: int
    """Meals and voids written here and not yet acknowledged by the portal."""
    rejected: int
    """Meals or voids the portal refused; kept and shown, never dropped."""
    last_success: datetime | None
    """When the last complete sync (push and pull) ended."""
    pulled_at: datetime | None
    """When the cache was last refreshed from the portal."""
    last_error: str | None
    """The last failure in French, or ``None`` after a success."""
    now: datetime
    stale_after: timedelta = timedelta(hours=24)
    """Past this data age the cache is called stale and staff are warned."""
    last_cycle: str | None = None
    """What the last cycle did, in French (« 12 envoyés, 3 changements reçus » or the
    failure): the answer staff get after pressing F9."""

    @property
    def data_age(self) -> timedelta | None:
        """How old the cached roster, reservations and balances are."""
        return None if self.pulled_at is None else max(self.now - self.pulled_at, timedelta())

    @property
    def stale(self) -> bool:
        """The cache was never pulled, or not for longer than ``stale_after``."""
        age = self.data_age
        return age is None or age > self.stale_after

    def describe(self) -> str:
        """One French line for staff, e.g. « En ligne — 3 en attente — données de 12 s »."""
        parts = ["En ligne" if self.online else "Hors ligne"]
        parts.append(f"{self.pending} en attente")
        if self.rejected:
            parts.append(f"{self.rejected} rejeté(s)")
        age = self.data_age
        if age is None:
            parts.append("jamais synchronisé")
        else:
            parts.append(f"données de {_human(age)}")
        if self.stale:
            parts.append("DONNÉES ANCIENNES")
        return " — ".join(parts)


def _human(age: timedelta) -> str:
    seconds = int(age.total_seconds())
    if seconds < 90:
        return f"{seconds} s"
    if seconds < 90 * 60:
        return f"{seconds // 60} min"
    if seconds < 48 * 3600:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} j"


def cycle_line(*, ok: bool, sent: int, rejected: int, received: int, error: str | None) -> str:
    """One sync cycle in French for staff: what went up and what came down, or why not."""
    if not ok:
        return f"échec : {error or 'portail injoignable'}"
    line = f"{sent} envoyé{'s' if sent > 1 else ''}"
    if rejected:
        line += f", {rejected} rejeté{'s' if rejected > 1 else ''}"
    return (
        line
        + f", {received} changement{'s' if received > 1 else ''} reçu{'s' if received > 1 else ''}"
    )
