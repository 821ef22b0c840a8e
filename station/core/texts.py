"""French texts shown to staff for verdicts; works without a UI."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from station.core.models import OTHER_LINE, Reason, Verdict, Warning
from station.core.money import format_euros

REASON_TEXT: dict[Reason, str] = {
    Reason.UNREADABLE: "Code illisible",
    Reason.FOREIGN_CARD: "Carte d'un autre établissement",
    Reason.UNKNOWN_CARD: "Carte inconnue",
    Reason.UNKNOWN_CHILD: "Élève inconnu",
    Reason.CARD_BLOCKED: "Carte bloquée",
    Reason.NO_SERVICE: "Aucun service en cours",
    Reason.ALREADY_SERVED: "Déjà passé",
    Reason.MANUAL_LIMIT: "Trop d'oublis de carte ce mois-ci",
    Reason.OVERRIDE_LIMIT: "Dérogations du mois épuisées",
    Reason.OVERRIDE: "Dérogation (servi quand même)",
    Reason.FORFAIT: "Forfait",
    Reason.PREPAID: "Repas prépayé",
    Reason.RESERVED: "Réservé",
    Reason.NO_RESERVATION: "Pas de réservation",
    Reason.UNRESERVED: "Sans réservation",
    Reason.UNRESERVED_SURCHARGE: "Sans réservation (majoré)",
    Reason.INSUFFICIENT_BALANCE: "Solde insuffisant",
    Reason.PASS_EXPIRED: "Passe d'un autre jour",
    Reason.PASS_INVALID: "Passe invalide",
}

#: Refusal of a day pass this line cannot check: it has not received its school's key.
PASS_UNCHECKED_TEXT = "Passe non vérifiable (synchroniser le poste)"

WARNING_TEXT: dict[Warning, str] = {
    Warning.LOW_BALANCE: "Solde bas",
    Warning.ALLERGY: "ALLERGIE / PAI",
    Warning.DIET: "Régime",
    Warning.NO_TARIFF: "Tarif manquant",
}

#: Why staff served anyway: the short list F4 offers (code → French).
OVERRIDE_MOTIVES: dict[str, str] = {
    "oubli_reservation": "Oubli de réservation",
    "famille_prevenue": "Solde insuffisant, famille prévenue",
    "consigne_intendance": "Consigne de l'intendance",
    "autre": "Autre raison (à signaler à l'intendance)",
}

SERVICE_TEXT = {"dejeuner": "déjeuner", "petit_dejeuner": "petit-déjeuner", "diner": "dîner"}


def reason_label(reason: str) -> str:
    """A stored reason code in French (an unknown code as it is)."""
    if reason == OTHER_LINE:
        return "Servi à une autre ligne"
    try:
        return REASON_TEXT[Reason(reason)]
    except ValueError:
        return reason


def service_label(code: str | None) -> str:
    return SERVICE_TEXT.get(code or "", code or "—")


def refusal_text(verdict: Verdict, tz: ZoneInfo) -> str:
    """The reason in plain French, with the detail staff need (« Déjà passé à 12:04 »)."""
    text = REASON_TEXT[verdict.reason]
    if verdict.reason is Reason.ALREADY_SERVED and verdict.first_served_at:
        first: datetime = verdict.first_served_at.astimezone(tz)
        return f"{text} à {first:%H:%M}"
    if verdict.reason is Reason.INSUFFICIENT_BALANCE and verdict.balance_cents is not None:
        return f"{text} : {format_euros(verdict.balance_cents)}"
    if verdict.reason is Reason.CARD_BLOCKED and verdict.extra.get("card_status") == "lost":
        return f"{text} (perdue)"
    if verdict.reason is Reason.PASS_INVALID and verdict.extra.get("pass_problem") == "no_key":
        return PASS_UNCHECKED_TEXT
    return text


def verdict_line(verdict: Verdict, tz: ZoneInfo) -> str:
    """One line summing up a verdict, for the CLI."""
    who = ""
    if verdict.child:
        c = verdict.child
        who = f" — {c.last_name} {c.first_name} ({c.class_name})"
    if verdict.served:
        warnings = ", ".join(WARNING_TEXT[w] for w in verdict.warnings)
        money = f" — {format_euros(verdict.charged_cents)}"
        if verdict.balance_cents is not None:
            money += f", solde {format_euros(verdict.balance_cents)}"
        tail = f" — {warnings}" if warnings else ""
        return f"SERVI — {REASON_TEXT[verdict.reason]}{who}{money}{tail}"
    return f"REFUSÉ — {refusal_text(verdict, tz)}{who}"
