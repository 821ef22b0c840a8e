"""French wording of what the screens show; pure functions, no Textual, no rules.

Everything staff read is built here from domain records, so the wording is tested
without running the app.
"""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from station.core.models import Child, Pass, Reason, Verdict, Warning
from station.core.money import format_euros
from station.core.texts import REASON_TEXT, WARNING_TEXT, reason_label, refusal_text, service_label
from station.sync.status import SyncStatus

ALLERGY_TEXT = {
    "arachide": "arachide",
    "gluten": "gluten",
    "lait": "lait",
    "oeuf": "œuf",
    "fruits_a_coque": "fruits à coque",
    "poisson": "poisson",
}
DIET_TEXT = {
    "sans_porc": "sans porc",
    "vegetarien": "végétarien",
    "sans_viande": "sans viande",
    "sans_gluten": "sans gluten",
}


def verdict_headline(verdict: Verdict, tz: ZoneInfo) -> str:
    """The line under SERVI / REFUSÉ: the reason, with warnings for a served pass."""
    if not verdict.served:
        return refusal_text(verdict, tz)
    shown = [WARNING_TEXT[w] for w in verdict.warnings if w is not Warning.DIET]
    parts = [REASON_TEXT[verdict.reason], *shown]
    return " — ".join(parts)


def child_name(child: Child) -> str:
    return f"{child.first_name} {child.last_name}"


def initials(child: Child) -> str:
    return f"{child.first_name[:1]}{child.last_name[:1]}".upper() or "?"


def allergen_labels(child: Child) -> list[str]:
    """The child's allergens in French (« arachide », « fruits à coque »)."""
    return [ALLERGY_TEXT.get(a, a) for a in child.allergies]


def allergy_badges(child: Child) -> list[str]:
    """« ALLERGIE : arachide » badges; empty when the child has none."""
    return [f"ALLERGIE / PAI : {label}" for label in allergen_labels(child)]


def diet_badges(child: Child) -> list[str]:
    return [f"RÉGIME : {DIET_TEXT.get(d, d)}" for d in child.diet]


def money_line(verdict: Verdict) -> str:
    """« Débité 4,15 € · solde 12,45 € » (or just the balance on a refusal)."""
    balance = (
        f"solde {format_euros(verdict.balance_cents)}" if verdict.balance_cents is not None else ""
    )
    if not verdict.served:
        return f"Rien débité · {balance}" if balance else "Rien débité"
    parts = [f"Débité {format_euros(verdict.charged_cents)}"] + ([balance] if balance else [])
    left = verdict.extra.get("prepaid_remaining")
    if isinstance(left, int):
        parts.append(
            f"{left} repas prépayé{'s' if left > 1 else ''} restant{'s' if left > 1 else ''}"
        )
    if verdict.reason is Reason.FORFAIT and verdict.child is not None:
        parts.append(f"forfait {forfait_days_text(verdict.child.forfait_days)}")
    return " · ".join(parts)


_WEEKDAYS = ("lun", "mar", "mer", "jeu", "ven", "sam", "dim")


def forfait_days_text(days: frozenset[int]) -> str:
    """ISO weekdays as staff say them: « lun, mar, jeu, ven »."""
    return ", ".join(_WEEKDAYS[d - 1] for d in sorted(days) if 1 <= d <= 7)


def window_text(start: time, end: time) -> str:
    return f"{start:%H:%M}–{end:%H:%M}"


def service_title(code: str | None) -> str:
    return service_label(code).capitalize() if code else "Aucun service en cours"


def pass_line(item: Pass, tz: ZoneInfo) -> tuple[str, str, str, str]:
    """(heure, élève, verdict, montant) for the last passes list."""
    at = item.at.astimezone(tz)
    who = item.child_name or "—"
    if item.class_name:
        who = f"{who} ({item.class_name})"
    if item.status == "served":
        what = "annulé" if item.voided else f"servi — {reason_label(item.reason).lower()}"
    else:
        what = f"refusé — {reason_label(item.reason).lower()}"
    money = format_euros(item.charged_cents) if item.charged_cents and not item.voided else ""
    return f"{at:%H:%M}", who, what, money


def sync_line(status: SyncStatus | None) -> str:
    """The sync status for the status bar; a clear warning when the cache is stale."""
    if status is None:
        return "Synchronisation : en attente du premier échange"
    text = f"Synchronisation : {status.describe()}"
    if status.stale:
        text = f"⚠ {text} — vérifiez le réseau"
    if status.last_error and not status.online:
        text += f" ({status.last_error})"
    return text


def clock_text(now: datetime, tz: ZoneInfo) -> str:
    return f"{now.astimezone(tz):%H:%M:%S}"
