"""The intendance's pages: the home with the kitchen's forecast, accounts waiting for
validation (the others are to come)."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from portal_sync_api.crud import logins
from portal_sync_api.crud.forecast import forecast
from portal_sync_api.models import School
from portal_sync_api.web.deps import CsrfChecked, CurrentIntendance, SessionDep, now
from portal_sync_api.web.errors import WebError
from portal_sync_api.web.render import flash, render
from portal_sync_api.web.routes.auth import public_url

router = APIRouter()

PENDING = "/intendance/comptes-en-attente"


@router.get("/intendance")
def intendance_home(request: Request, session: SessionDep, person: CurrentIntendance) -> Response:
    """The intendance's home: how many accounts wait, and the kitchen's forecast (last
    week beside what was served, the coming two weeks)."""
    with session.begin():
        waiting = len(logins.pending_requests(session, person.principal))
        school = session.get(School, person.school_id) if person.school_id else None
        kitchen = None
        if school is not None:
            today = now(request).astimezone(ZoneInfo(school.timezone)).date()
            monday = today - timedelta(days=today.weekday())
            kitchen = forecast(
                session,
                school=school,
                start=monday - timedelta(weeks=1),
                end=monday + timedelta(weeks=2, days=6),
                today=today,
            )
    return render(request, "intendance/accueil.html", {"waiting": waiting, "forecast": kitchen})


@router.get(PENDING)
def pending(request: Request, session: SessionDep, person: CurrentIntendance) -> Response:
    """Sign-up requests of the school, each with « Valider » and « Refuser »."""
    with session.begin():
        rows = logins.pending_requests(session, person.principal)
    return render(request, "intendance/comptes_en_attente.html", {"rows": rows})


@router.post(PENDING + "/{request_id}/valider")
def validate(
    request: Request,
    session: SessionDep,
    person: CurrentIntendance,
    _csrf: CsrfChecked,
    request_id: int,
) -> Response:
    """Validate one request: the parent gets an e-mail with a link to choose a password."""
    message = None
    try:
        with session.begin():
            user = logins.validate_request(
                session,
                person.principal,
                request_id=request_id,
                decided_by=person.user_id,
                public_url=public_url(request),
                now=now(request),
            )
            message = f"Compte validé : un e-mail a été envoyé à {user.email}."
    except logins.NotFound:
        raise WebError(404) from None
    except logins.AccountRefused as refused:
        message = refused.message
    return flash(request, RedirectResponse(PENDING, status_code=303), message)


@router.post(PENDING + "/{request_id}/refuser")
def refuse(
    request: Request,
    session: SessionDep,
    person: CurrentIntendance,
    _csrf: CsrfChecked,
    request_id: int,
) -> Response:
    """Refuse one request (the address is told, without a reason)."""
    try:
        with session.begin():
            logins.refuse_request(
                session,
                person.principal,
                request_id=request_id,
                decided_by=person.user_id,
                now=now(request),
            )
        message = "Demande refusée."
    except logins.NotFound:
        raise WebError(404) from None
    except logins.AccountRefused as refused:
        message = refused.message
    return flash(request, RedirectResponse(PENDING, status_code=303), message)
