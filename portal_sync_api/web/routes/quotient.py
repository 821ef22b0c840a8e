"""The intendance records a family's quotient familial (QF): the form partial
``intendance/_quotient_familial.html`` (included in a family's page, with ``family`` and
``school`` in its context) posts here; the page of this path shows the same form alone.

What a QF changes is decided by ``crud.tariffs_qf``; a family that is not the school's is
the 404 page, like an unknown id.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from portal_sync_api.core.calendar import MONTHS
from portal_sync_api.crud.qf_bands import set_family_qf
from portal_sync_api.crud.tariffs_qf import FamilyTariff, family_tariff
from portal_sync_api.crud.web_sessions import Person
from portal_sync_api.errors import DataError
from portal_sync_api.models import Family, School
from portal_sync_api.web.deps import CsrfChecked, CurrentIntendance, SessionDep, now
from portal_sync_api.web.errors import WebError
from portal_sync_api.web.format import register
from portal_sync_api.web.render import environment, flash, render

router = APIRouter()
register(environment)

QF_PATH = "/intendance/familles/{family_ref}/quotient"
TextField = Annotated[str, Form()]
#: The form's fields, by the name ``crud.tariffs_qf`` gives a problem.
FIELDS = {"qf": "qf", "valid_from": "qf_debut", "from": "qf_debut", "valid_until": "qf_fin"}


def qf_date(day: date) -> str:
    """``date(2027, 8, 31)`` → ``31 août 2027`` (``1er`` for the first of a month)."""
    first = "1er" if day.day == 1 else str(day.day)
    return f"{first} {MONTHS[day.month - 1]} {day.year}"


def family_qf(family: Family) -> FamilyTariff | None:
    """The family's tariff today, read through the session of the page that shows it."""
    session = object_session(family)
    if session is None:
        return None
    return family_tariff(session, family=family)


environment.filters["qf_date"] = qf_date
environment.globals["quotient_familial"] = family_qf


def family_page_url(family_ref: str) -> str:
    return f"/intendance/familles/{quote(family_ref, safe='')}"


def _family(session: Session, person: Person, family_ref: str) -> tuple[School, Family]:
    school = session.get(School, person.school_id) if person.school_id else None
    family = (
        session.execute(
            select(Family).where(Family.school_id == school.id, Family.ref == family_ref)
        ).scalar_one_or_none()
        if school is not None
        else None
    )
    if school is None or family is None:
        raise WebError(404)
    return school, family


def _page(
    request: Request,
    session: Session,
    person: Person,
    family_ref: str,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    with session.begin():
        school, family = _family(session, person, family_ref)
        context = {
            "family": family,
            "school": school,
            "qf_errors": errors or {},
            "qf_values": values or {},
        }
        return render(request, "intendance/quotient.html", context, status=status)


@router.get(QF_PATH)
def quotient_page(
    request: Request, session: SessionDep, person: CurrentIntendance, family_ref: str
) -> Response:
    """The family's QF in force, the tariff it gives, and the form to record a new one."""
    return _page(request, session, person, family_ref)


def parse_day(text: str, field: str) -> date:
    """``2026-12-01`` (a date field) or ``01/12/2026``; :class:`DataError` naming ``field``."""
    value = text.strip()
    try:
        if "/" in value:
            return datetime.strptime(value, "%d/%m/%Y").date()
        return date.fromisoformat(value)
    except ValueError:
        raise DataError(field, "date attendue (jj/mm/aaaa)") from None


@router.post(QF_PATH)
def record_quotient(
    request: Request,
    session: SessionDep,
    person: CurrentIntendance,
    _csrf: CsrfChecked,
    family_ref: str,
    qf: TextField = "",
    qf_debut: TextField = "",
    qf_fin: TextField = "",
) -> Response:
    """Record the QF from « Valable à partir du » to « Valable jusqu'au »: the children's
    tariff follows from that day on (meals before it keep their price)."""
    values = {"qf": qf, "qf_debut": qf_debut, "qf_fin": qf_fin}
    try:
        with session.begin():
            school, family = _family(session, person, family_ref)
            number = qf.strip().replace("\u202f", "").replace(" ", "")
            if not number.isdigit():
                raise DataError("qf", "nombre entier attendu (ex. 812)")
            set_family_qf(
                session,
                school=school,
                family_ref=family.ref,
                qf=int(number),
                valid_from=parse_day(qf_debut, "valid_from"),
                valid_until=parse_day(qf_fin, "valid_until"),
                actor=person.email,
                now=now(request),
            )
    except DataError as exc:
        field = FIELDS.get(exc.field, "qf")
        message = exc.problem[:1].upper() + exc.problem[1:] + "."
        return _page(
            request,
            session,
            person,
            family_ref,
            errors={field: message},
            values=values,
            status=422,
        )
    done = f"Quotient familial {int(number)} enregistré pour la famille {family_ref}."
    return flash(request, RedirectResponse(family_page_url(family_ref), status_code=303), done)
