"""The intendance's stations page: each station's sync state, tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from portal_sync_api.core.config import CLOCK_SKEW_SECONDS
from portal_sync_api.crud import stations
from portal_sync_api.errors import DataError
from portal_sync_api.models import School
from portal_sync_api.web.deps import CsrfChecked, CurrentIntendance, SessionDep, now
from portal_sync_api.web.errors import WebError
from portal_sync_api.web.format import instant
from portal_sync_api.web.render import flash, render

router = APIRouter()

STATIONS = "/intendance/postes"


def duration(seconds: int) -> str:
    """``45`` → ``45 s``; ``754`` → ``12 min``; ``7500`` → ``2 h 05``; ``200000`` → ``2 j``."""
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        return f"{seconds // 3600} h {seconds % 3600 // 60:02d}"
    return f"{seconds // 86400} j"


def clock_offset(seconds: int) -> str:
    """A station clock's offset for people: ``à l'heure``, ``en avance de 3 min``…"""
    if abs(seconds) < 2:
        return "à l'heure"
    way = "en avance" if seconds > 0 else "en retard"
    return f"{way} de {duration(abs(seconds))}"


def _page(
    request: Request,
    session: SessionDep,
    person: CurrentIntendance,
    *,
    name: str = "",
    error: str | None = None,
    token: tuple[str, str] | None = None,
    status: int = 200,
) -> Response:
    at = now(request)
    with session.begin():
        school = session.get(School, person.school_id) if person.school_id else None
        if school is None:
            raise WebError(404)
        rows = stations.school_stations(session, school=school, now=at)
        timezone = school.timezone

    def since(value: str | None) -> str | None:
        if value is None:
            return None
        return duration(max(0, int((at - datetime.fromisoformat(value)).total_seconds())))

    response = render(
        request,
        "intendance/postes.html",
        {
            "rows": rows,
            "silent": [row for row in rows if row.silent_seconds is not None],
            "name": name,
            "error": error,
            "token": token,
            "timezone": timezone,
            "duration": duration,
            "clock_offset": clock_offset,
            "since": since,
            "instant": lambda value: instant(value, timezone),
            "skew_limit": CLOCK_SKEW_SECONDS,
            "quote": lambda value: quote(value, safe=""),
        },
        status=status,
    )
    if token is not None:
        response.headers["Cache-Control"] = "no-store"
    return response


@router.get(STATIONS)
def stations_page(request: Request, session: SessionDep, person: CurrentIntendance) -> Response:
    """Each station of the school: last syncs, meals received today, meals waiting, app
    version, clock, data age, journal; the silent ones during a service first."""
    return _page(request, session, person)


@router.post(STATIONS)
def create_station(
    request: Request,
    session: SessionDep,
    person: CurrentIntendance,
    _csrf: CsrfChecked,
    name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """« Créer un poste »: the new station's token is shown on this answer only."""
    try:
        with session.begin():
            school = session.get_one(School, person.school_id)
            token = stations.create(
                session, school=school, name=name, actor=person.email, now=now(request)
            )
    except DataError as refused:
        return _page(request, session, person, name=name, error=refused.problem)
    return _page(request, session, person, token=(name.strip(), token))


def _school_station_name(session: SessionDep, person: CurrentIntendance, name: str) -> str:
    """``name`` when it is a station of the person's school; else the 404 page."""
    with session.begin():
        school = session.get(School, person.school_id) if person.school_id else None
        found = school and stations.find_station(session, school=school, name=name)
        if not found:
            raise WebError(404)
        if found.revoked_at is not None:
            return ""
        return found.name


@router.get(STATIONS + "/{name}/revoquer")
def confirm_revoke(
    request: Request, session: SessionDep, person: CurrentIntendance, name: str
) -> Response:
    """The confirmation step of « Révoquer »."""
    found = _school_station_name(session, person, name)
    if not found:
        return flash(
            request,
            RedirectResponse(STATIONS, status_code=303),
            f"Le jeton du poste {name} est déjà révoqué.",
        )
    return render(
        request,
        "intendance/postes_revoquer.html",
        {"name": found, "action": f"{STATIONS}/{quote(found, safe='')}/revoquer"},
    )


@router.post(STATIONS + "/{name}/revoquer")
def revoke(
    request: Request, session: SessionDep, person: CurrentIntendance, _csrf: CsrfChecked, name: str
) -> Response:
    """Revoke the station's token: its next sync is refused (401)."""
    try:
        with session.begin():
            school = session.get(School, person.school_id) if person.school_id else None
            if school is None:
                raise WebError(404)
            done = stations.revoke(
                session, school=school, name=name, actor=person.email, now=now(request)
            )
    except DataError:
        raise WebError(404) from None
    message = (
        f"Jeton du poste {name} révoqué : ce poste ne peut plus se synchroniser."
        if done
        else f"Le jeton du poste {name} est déjà révoqué."
    )
    return flash(request, RedirectResponse(STATIONS, status_code=303), message)
