"""A collectivité administrator's pages: the summary across its schools, and the
« Établissement » switcher that chooses which school the intendance pages show.

Every intendance page reads the school it shows from ``person.school_id``; for a
collectivité administrator that is the school chosen here (``web/session.py``), so those
pages serve them unchanged and never show two schools at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal_sync_api.crud.reads import consumption
from portal_sync_api.crud.stations import school_stations
from portal_sync_api.crud.web_sessions import SESSION_ABSOLUTE
from portal_sync_api.models import Family, FamilyBalance, School
from portal_sync_api.web.deps import CsrfChecked, CurrentCollectivite, SessionDep, now
from portal_sync_api.web.errors import WebError
from portal_sync_api.web.render import render
from portal_sync_api.web.routes.auth import safe_next
from portal_sync_api.web.session import SCHOOL_COOKIE, set_cookie

router = APIRouter()

PATH = "/intendance/collectivite"
SWITCH = "/intendance/etablissement"


@dataclass(frozen=True)
class SchoolDay:
    """One school's line of the summary: today's meals, money and worries."""

    code: str
    name: str
    day: date
    reserved: int
    served: int
    charged_cents: int
    negative_balances: int
    stations: int
    silent_stations: int


def school_day(session: Session, *, school: School, instant: datetime) -> SchoolDay:
    """Today (in the school's time zone) at ``school``: meals reserved and served (every
    meal not voided), the amount charged, families under zero, stations silent during an
    open service."""
    today = instant.astimezone(ZoneInfo(school.timezone)).date()
    report = consumption(session, school=school, day=today)
    services = report.services.values()
    served = sum(
        s.served_reserved + s.served_unreserved + s.served_forfait + s.duplicate_passes
        for s in services
    )
    negative = session.execute(
        select(func.count())
        .select_from(FamilyBalance)
        .join(Family, Family.id == FamilyBalance.family_id)
        .where(Family.school_id == school.id, FamilyBalance.balance_cents < 0)
    ).scalar_one()
    stations = [s for s in school_stations(session, school=school, now=instant) if not s.revoked_at]
    return SchoolDay(
        code=school.code,
        name=school.name,
        day=today,
        reserved=sum(s.reserved for s in services),
        served=served,
        charged_cents=sum(s.charged_cents for s in services),
        negative_balances=int(negative),
        stations=len(stations),
        silent_stations=sum(1 for s in stations if s.silent_seconds is not None),
    )


@router.get(PATH)
def summary(request: Request, session: SessionDep, person: CurrentCollectivite) -> Response:
    """Each school of the collectivité today, with a link to its pages."""
    instant = now(request)
    with session.begin():
        rows = [
            school_day(session, school=session.get_one(School, choice.id), instant=instant)
            for choice in person.schools
        ]
    totals = {
        "reserved": sum(r.reserved for r in rows),
        "served": sum(r.served for r in rows),
        "charged_cents": sum(r.charged_cents for r in rows),
        "negative_balances": sum(r.negative_balances for r in rows),
        "silent_stations": sum(r.silent_stations for r in rows),
    }
    context = {"rows": rows, "totals": totals, "day": rows[0].day if rows else None}
    return render(request, "intendance/collectivite.html", context)


def _section(path: str | None) -> str:
    """Where to go after switching: the same section of the intendance's pages (its
    list, not one school's record: ``/intendance/familles/F1`` → ``/intendance/familles``)."""
    safe = safe_next(path) or "/intendance"
    parts = safe.split("?", 1)[0].split("/")
    if len(parts) < 2 or parts[1] != "intendance":
        return "/intendance"
    return "/".join(parts[:3])


@router.post(SWITCH)
def switch(
    request: Request,
    person: CurrentCollectivite,
    _csrf: CsrfChecked,
    etablissement: Annotated[str, Form(max_length=16)] = "",
    suite: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Show the intendance pages of another of the administrator's schools."""
    if not any(s.code == etablissement for s in person.schools):
        raise WebError(404)
    response = RedirectResponse(_section(suite), status_code=303)
    max_age = int(SESSION_ABSOLUTE.total_seconds())
    set_cookie(request, response, SCHOOL_COOKIE, etablissement, max_age=max_age)
    return response
