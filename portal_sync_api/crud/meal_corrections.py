"""« Annuler ce repas » on a family's page of the intendance: the reason, then the void
applied as a station's void is (``crud.meals.void_by_intendance``), with an audit row
saying who, why, before and after."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal_sync_api.crud import audit
from portal_sync_api.crud.family_admin import school_family
from portal_sync_api.crud.meals import void_by_intendance
from portal_sync_api.crud.reads import euros
from portal_sync_api.models import Child, Meal, School

#: Why a meal is cancelled, as the form offers it: (code, label).
VOID_REASONS = (
    ("mauvais_eleve", "Mauvais élève enregistré"),
    ("non_servi", "Repas non servi"),
    ("double_passage", "Passage compté deux fois"),
    ("decision", "Décision de l'intendance"),
    ("autre", "Autre motif"),
)


class MealCorrectionRefused(Exception):
    """A meal correction that cannot be done: ``field`` names the input, ``message`` says
    why in French; ``not_found`` when the meal is not the family's."""

    def __init__(self, field: str, message: str, *, not_found: bool = False) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.not_found = not_found


def void_reason(code: str, detail: str) -> str:
    """The reason recorded for a cancelled meal, from the form's choice and its free
    text; raises :class:`MealCorrectionRefused` when missing."""
    label = dict(VOID_REASONS).get(code)
    detail = " ".join(detail.split())
    if label is None:
        raise MealCorrectionRefused("reason", "Choisissez le motif de l'annulation.")
    if code == "autre" and not detail:
        raise MealCorrectionRefused("detail", "Précisez le motif de l'annulation.")
    if len(detail) > 150:
        raise MealCorrectionRefused("detail", "La précision tient en 150 caractères au plus.")
    return f"{label} : {detail}" if detail else label


def cancel_meal(
    session: Session,
    *,
    school: School,
    family_ref: str,
    meal_ref: str,
    reason: str,
    detail: str,
    actor: str,
    now: datetime,
) -> int:
    """« Annuler ce repas »: void meal ``meal_ref`` of a child of family ``family_ref``
    as a station's void is applied (ledger refund, changes feed), with an audit row.
    Returns the refund (cents)."""
    text = void_reason(reason, detail)
    family = school_family(session, school=school, family_ref=family_ref)
    found = session.execute(
        select(Meal, Child)
        .join(Child, Child.id == Meal.child_id)
        .where(Meal.school_id == school.id, Meal.ref == meal_ref)
    ).first()
    if family is None or found is None or found[1].family_id != family.id:
        raise MealCorrectionRefused("meal", "Repas introuvable.", not_found=True)
    meal, child = found
    try:
        done = void_by_intendance(session, school=school, meal_ref=meal_ref, reason=text, now=now)
    except ValueError as refused:
        raise MealCorrectionRefused("meal", str(refused)) from None
    if done is None:
        raise MealCorrectionRefused("meal", "Repas introuvable.", not_found=True)
    audit.record(
        session,
        school=school,
        actor=actor,
        action="meal_void",
        subject=f"child {child.ref}",
        before={
            "repas": meal.ref,
            "jour": meal.business_date.isoformat(),
            "service": meal.service,
            "facturé": euros(meal.charged_cents),
            "annulé": False,
        },
        after={
            "repas": meal.ref,
            "annulé": True,
            "remboursé": euros(done.refund_cents),
            "motif": text,
            "famille": family.ref,
        },
        now=now,
    )
    return done.refund_cents
