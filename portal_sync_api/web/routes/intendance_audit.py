"""The intendance's audit log: every change made by an intendance or admin user.

Read-only: no route here (nor anywhere) changes a row of ``audit_log``.
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from portal_sync_api.crud.audit import AuditFilter, audit_csv, audit_page, describe
from portal_sync_api.web.deps import CurrentIntendance, SessionDep
from portal_sync_api.web.format import register
from portal_sync_api.web.render import environment, render
from portal_sync_api.web.routes.intendance_families import school_of

router = APIRouter()
register(environment)
environment.filters["audit_describe"] = describe

JOURNAL = "/intendance/journal"
BAD_DATE = "Date invalide : choisissez un jour (jj/mm/aaaa)."


def _filters(personne: str, action: str, du: str, au: str) -> tuple[AuditFilter, dict[str, str]]:
    """The filter the form asks for, and a French message per field it got wrong."""
    errors: dict[str, str] = {}
    days: dict[str, date | None] = {}
    for name, text in (("du", du), ("au", au)):
        days[name] = None
        if text.strip():
            try:
                days[name] = date.fromisoformat(text.strip())
            except ValueError:
                errors[name] = BAD_DATE
    start, end = days["du"], days["au"]
    if start and end and end < start:
        errors["au"] = "La date de fin précède la date de début."
    wanted = AuditFilter(
        actor=personne.strip() or None, action=action.strip() or None, start=start, end=end
    )
    return wanted, errors


@router.get(JOURNAL)
def journal(
    request: Request,
    session: SessionDep,
    person: CurrentIntendance,
    personne: str = "",
    action: str = "",
    du: str = "",
    au: str = "",
    page: str = "1",
) -> Response:
    """The school's audit log, newest first: who, when, what, before and after;
    filtered by person, kind of action and days; 50 rows a page."""
    wanted, errors = _filters(personne, action, du, au)
    if errors:
        wanted = AuditFilter(actor=wanted.actor, action=wanted.action)
    with session.begin():
        school = school_of(session, person)
        view = audit_page(
            session, school=school, wanted=wanted, page=int(page) if page.isdigit() else 1
        )
        timezone = school.timezone
    values = {"personne": personne, "action": action, "du": du, "au": au}
    context = {"view": view, "values": values, "errors": errors, "timezone": timezone}
    return render(request, "intendance/journal.html", context, status=422 if errors else 200)


@router.get(JOURNAL + ".csv")
def journal_csv(
    session: SessionDep,
    person: CurrentIntendance,
    personne: str = "",
    action: str = "",
    du: str = "",
    au: str = "",
) -> Response:
    """The filtered audit log as a CSV for French Excel (a bad date: 422 naming it)."""
    wanted, errors = _filters(personne, action, du, au)
    if errors:
        field, problem = next(iter(errors.items()))
        return JSONResponse({"detail": problem, "field": field}, status_code=422)
    with session.begin():
        school = school_of(session, person)
        body = audit_csv(session, school=school, wanted=wanted)
    headers = {
        "Content-Disposition": f'attachment; filename="journal-{school.code}.csv"',
        "Cache-Control": "no-store",
    }
    return Response(body, media_type="text/csv; charset=utf-8", headers=headers)
