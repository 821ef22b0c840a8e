"""The intendance's pages: the day (figures, passes, its CSV, accounts waiting and the
kitchen's forecast), accounts waiting for validation (the others are to come)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from portal_sync_api.crud import logins
from portal_sync_api.crud.day import day_report
from portal_sync_api.crud.forecast import forecast
from portal_sync_api.crud.reads import consumption_csv
from portal_sync_api.models import School
from portal_sync_api.web.day_chart import chart_of
from portal_sync_api.web.deps import CsrfChecked, CurrentIntendance, SessionDep, now
from portal_sync_api.web.errors import WebError
from portal_sync_api.web.render import flash, render
from portal_sync_api.web.routes.auth import public_url

router = APIRouter()

PENDING = "/intendance/comptes-en-attente"
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
#: Days the page accepts (``?jour=``): wide enough for any school year, and keeps « jour
#: précédent / suivant » away from the calendar's ends.
_FIRST_DAY, _LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)


def _parse_day(text: str) -> date | None:
    """``2025-11-24`` → that day; anything else (or out of range) → ``None``."""
    if not _DAY.match(text):
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    return day if _FIRST_DAY <= day <= _LAST_DAY else None


@router.get("/intendance")
def intendance_home(
    request: Request,
    session: SessionDep,
    person: CurrentIntendance,
    jour: Annotated[str | None, Query()] = None,
    format: Annotated[str | None, Query()] = None,
    direct: Annotated[str | None, Query()] = None,
) -> Response:
    """The day (``?jour=AAAA-MM-JJ``, today on the school's clock by default): per service
    and class the figures of the consumption report, the passes per 10 minutes. While a
    service of today is open, ``?direct=1`` (« Suivre le service en direct ») reloads the
    page every few seconds until the service closes: asked for, never imposed, since a
    page reloading on its own disturbs whoever reads it or fills its date field (WCAG
    2.2.1). ``format=csv`` gives the same CSV as ``GET /v1/schools/{code}/consumption``.
    Below: accounts waiting, the kitchen's forecast (last week beside what was served,
    the coming two weeks)."""
    moment = now(request)
    day_error = None
    with session.begin():
        school = session.get_one(School, person.school_id)
        today = moment.astimezone(ZoneInfo(school.timezone)).date()
        day = today
        if jour:
            parsed = _parse_day(jour.strip())
            if parsed is None:
                day_error = "Date invalide : choisissez un jour, au format AAAA-MM-JJ."
            else:
                day = parsed
        report = day_report(session, school=school, day=day, now=moment)
        if format == "csv" and day_error is None:
            return Response(
                consumption_csv(report.consumption),
                media_type="text/csv; charset=utf-8",
                headers={
                    "Content-Disposition": (
                        f'attachment; filename="consommation-{school.code}-{day}.csv"'
                    ),
                    "Cache-Control": "no-store",
                },
            )
        waiting = len(logins.pending_requests(session, person.principal))
        monday = today - timedelta(days=today.weekday())
        kitchen = forecast(
            session,
            school=school,
            start=monday - timedelta(weeks=1),
            end=monday + timedelta(weeks=2, days=6),
            today=today,
        )
        timezone = school.timezone
    refresh = request.app.state.settings.day_refresh_seconds
    context = {
        "report": report,
        "charts": [chart_of(p) for p in report.passes],
        "day_error": day_error,
        "jour": jour if day_error else day.isoformat(),
        "previous_day": max(day - timedelta(days=1), _FIRST_DAY),
        "next_day": min(day + timedelta(days=1), _LAST_DAY),
        "live_asked": direct == "1" and day == today,
        "refresh_seconds": refresh if direct == "1" and report.open_service else None,
        "updated_at": f"{moment.astimezone(ZoneInfo(timezone)):%H:%M:%S}",
        "waiting": waiting,
        "forecast": kitchen,
    }
    return render(request, "intendance/accueil.html", context, status=400 if day_error else 200)


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
