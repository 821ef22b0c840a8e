"""The session cookie, the clock and the logged-in person of a request.

A collectivité administrator is seen by every intendance page as the intendance of one of
its schools at a time: the one chosen in « Établissement » (kept in a cookie, checked
against the user's schools on each request; the first school when none is chosen).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request, Response
from sqlalchemy.orm import Session

from portal_sync_api.crud.accounts import user_schools
from portal_sync_api.crud.web_sessions import SESSION_ABSOLUTE, Person, lookup_session, utcnow

SESSION_COOKIE = "cantine_session"
#: The school a collectivité administrator is viewing (its code).
SCHOOL_COOKIE = "cantine_etablissement"
_UNSET = object()


def now(request: Request) -> datetime:
    """The app's clock (``app.state.clock``; tests put a fake one there)."""
    clock: Callable[[], datetime] = getattr(request.app.state, "clock", utcnow)
    return clock()


def client_ip(request: Request) -> str:
    """The peer's address (the reverse proxy's one when the portal is behind one)."""
    return request.client.host if request.client else "inconnu"


@dataclass(frozen=True)
class SchoolChoice:
    """One school of a collectivité administrator, as the switcher lists it."""

    id: int
    code: str
    name: str


@dataclass(frozen=True)
class CollectivitePerson(Person):
    """A collectivité administrator: ``role`` is ``intendance`` and ``school_id`` the
    school chosen in « Établissement », so every intendance page serves them unchanged;
    ``schools`` lists all of theirs."""

    schools: tuple[SchoolChoice, ...] = ()


def current_person(request: Request) -> Person | None:
    """The person of the request's session cookie, looked up once per request."""
    cached = getattr(request.state, "person", _UNSET)
    if cached is not _UNSET:
        return cached  # type: ignore[return-value]
    person = None
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id:
        with request.app.state.sessionmaker() as session, session.begin():
            person = lookup_session(session, session_id=session_id, now=now(request))
            if person is not None and person.role == "collectivite":
                person = _collectivite(session, person, request.cookies.get(SCHOOL_COOKIE))
    request.state.person = person
    return person


def _collectivite(session: Session, person: Person, chosen: str | None) -> Person:
    """``person`` (a collectivité administrator) as the intendance of the chosen school,
    or of its first school; left as it is (seeing no intendance page) without schools."""
    schools = tuple(
        SchoolChoice(id=s.id, code=s.code, name=s.name)
        for s in user_schools(session, user_id=person.user_id)
    )
    if not schools:
        return person
    school = next((s for s in schools if s.code == chosen), schools[0])
    values: dict[str, Any] = {f.name: getattr(person, f.name) for f in fields(person)}
    values.update(role="intendance", school_id=school.id, school_name=school.name)
    return CollectivitePerson(**values, schools=schools)


def secure_cookies(request: Request) -> bool:
    """Whether cookies get the ``Secure`` flag: ``PORTAL_SECURE_COOKIES`` = ``true`` /
    ``false``, or ``auto`` (the default): always, except when the portal's public address
    is plain http on the loopback (a browser would drop a Secure cookie there)."""
    settings = getattr(request.app.state, "settings", None)
    mode = str(getattr(settings, "secure_cookies", "auto")).lower()
    if mode in ("true", "1", "yes", "oui"):
        return True
    if mode in ("false", "0", "no", "non"):
        return False
    public = urlsplit(str(getattr(settings, "public_url", "http://127.0.0.1:8000")))
    if public.scheme == "https":
        return True
    return not _loopback(public.hostname or "")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def set_cookie(
    request: Request, response: Response, name: str, value: str, *, max_age: int | None = None
) -> None:
    """A first-party cookie: HttpOnly, SameSite=Lax, Secure per :func:`secure_cookies`."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
    )


def set_session_cookie(request: Request, response: Response, session_id: str) -> None:
    """Put a new session id in the browser (lives no longer than the session itself)."""
    set_cookie(
        request, response, SESSION_COOKIE, session_id, max_age=int(SESSION_ABSOLUTE.total_seconds())
    )


def clear_session_cookie(request: Request, response: Response) -> None:
    """Forget the session id in the browser."""
    response.delete_cookie(SESSION_COOKIE, path="/")
