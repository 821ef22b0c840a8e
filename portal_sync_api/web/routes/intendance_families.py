"""The intendance's families: list, search, a family's page, meal corrections.

What is shown and what may be done is decided by ``crud.family_admin``; a family that is
not the school's is the 404 page, exactly like an unknown id.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from portal_sync_api.crud.family_admin import family_list, family_page, negatives_csv
from portal_sync_api.crud.meal_corrections import VOID_REASONS, MealCorrectionRefused, cancel_meal
from portal_sync_api.crud.web_sessions import Person
from portal_sync_api.models import School
from portal_sync_api.web.deps import CsrfChecked, CurrentIntendance, SessionDep, now
from portal_sync_api.web.errors import WebError
from portal_sync_api.web.format import euros, register
from portal_sync_api.web.render import environment, flash, render

router = APIRouter()
register(environment)

FAMILIES = "/intendance/familles"
NEGATIVES_CSV = "/intendance/familles/export/soldes-negatifs.csv"
TextField = Annotated[str, Form()]


def family_url(family_ref: str) -> str:
    """The page of a family of the school."""
    return f"{FAMILIES}/{quote(family_ref, safe='')}"


def school_of(session: Session, person: Person) -> School:
    """The intendance's school (the 404 page if it is gone)."""
    school = session.get(School, person.school_id) if person.school_id else None
    if school is None:
        raise WebError(404)
    return school


@router.get(FAMILIES)
def families(
    request: Request,
    session: SessionDep,
    person: CurrentIntendance,
    q: str = "",
    page: str = "1",
) -> Response:
    """The school's families, negative balances first; « Rechercher » by a child's or
    family's name or a card number."""
    number = int(page) if page.isdigit() else 1
    with session.begin():
        school = school_of(session, person)
        listing = family_list(session, school=school, query=q[:100], page=number)
    return render(request, "intendance/familles.html", {"listing": listing, "q": q[:100]})


@router.get(NEGATIVES_CSV)
def negatives_export(session: SessionDep, person: CurrentIntendance) -> Response:
    """The families with a negative balance as a CSV for French Excel."""
    with session.begin():
        school = school_of(session, person)
        body = negatives_csv(session, school=school)
    headers = {
        "Content-Disposition": f'attachment; filename="soldes-negatifs-{school.code}.csv"',
        "Cache-Control": "no-store",
    }
    return Response(body, media_type="text/csv; charset=utf-8", headers=headers)


def _family_page(
    request: Request,
    session: Session,
    person: Person,
    family_ref: str,
    *,
    errors: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    with session.begin():
        school = school_of(session, person)
        view = family_page(
            session, person.principal, school=school, family_ref=family_ref, now=now(request)
        )
        if view is None:
            raise WebError(404)
        context = {
            "view": view,
            "family": view.family,
            "school": view.school,
            "reasons": VOID_REASONS,
            "errors": errors or {},
        }
        # Rendered inside the transaction: the included pieces may read the rows.
        return render(request, "intendance/famille.html", context, status=status)


@router.get(FAMILIES + "/{family_ref}")
def family(
    request: Request, session: SessionDep, person: CurrentIntendance, family_ref: str
) -> Response:
    """A family: children (class, card, diet, allergies), balance and ledger, coming
    bookings, last meals (each with « Annuler ce repas »), notices sent."""
    return _family_page(request, session, person, family_ref)


@router.post(FAMILIES + "/{family_ref}/repas/{meal_ref}/annuler")
def void_meal(
    request: Request,
    session: SessionDep,
    person: CurrentIntendance,
    _csrf: CsrfChecked,
    family_ref: str,
    meal_ref: str,
    reason: TextField = "",
    detail: TextField = "",
) -> Response:
    """« Annuler ce repas » with a reason: the family is refunded as when a line voids a
    meal, the stations are told, the audit log keeps who and why."""
    try:
        with session.begin():
            school = school_of(session, person)
            refund = cancel_meal(
                session,
                school=school,
                family_ref=family_ref,
                meal_ref=meal_ref,
                reason=reason,
                detail=detail,
                actor=person.email,
                now=now(request),
            )
    except MealCorrectionRefused as refused:
        if refused.not_found:
            raise WebError(404) from None
        errors = {"meal": meal_ref, "field": refused.field, "message": refused.message}
        errors["reason"], errors["detail"] = reason, detail
        return _family_page(request, session, person, family_ref, errors=errors, status=422)
    message = "Repas annulé" + (f" : {euros(refund)} remboursés." if refund else ".")
    # Back to the top of the page, where the message is shown.
    return flash(request, RedirectResponse(family_url(family_ref), status_code=303), message)
