"""Dependencies of the web routes: who is logged in, in which role, and the CSRF check.

``CurrentPerson`` sends anyone not logged in to ``/connexion?suite=…``; ``CurrentParent``
and ``CurrentIntendance`` answer the 404 page to a person of the other role (as for
anything outside one's family or school). A collectivité administrator passes
``CurrentIntendance`` as the intendance of the school it chose (``person.school_id``);
``CurrentCollectivite`` lets only them in.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from portal_sync_api.api.deps import SessionDep, get_session
from portal_sync_api.crud.web_sessions import Person
from portal_sync_api.web.csrf import CsrfChecked, check_csrf
from portal_sync_api.web.errors import LoginRequired, WebError
from portal_sync_api.web.session import CollectivitePerson, client_ip, current_person, now

__all__ = [
    "CsrfChecked",
    "CurrentCollectivite",
    "CurrentIntendance",
    "CurrentParent",
    "CurrentPerson",
    "OptionalPerson",
    "SessionDep",
    "check_csrf",
    "client_ip",
    "get_session",
    "now",
]


def optional_person(request: Request) -> Person | None:
    """The logged-in person, or ``None``."""
    return current_person(request)


def require_person(request: Request) -> Person:
    """The logged-in person; else a redirect to the login page, coming back here after."""
    person = current_person(request)
    if person is None:
        back_to = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(back_to)
    return person


def require_parent(person: Annotated[Person, Depends(require_person)]) -> Person:
    """A logged-in parent (``.family_id``, ``.principal``); other people get the 404 page."""
    if person.role != "parent" or person.family_id is None:
        raise WebError(404)
    return person


def require_intendance(person: Annotated[Person, Depends(require_person)]) -> Person:
    """A logged-in intendance user (``.school_id``, ``.principal``); else the 404 page."""
    if person.role != "intendance" or person.school_id is None:
        raise WebError(404)
    return person


def require_collectivite(
    person: Annotated[Person, Depends(require_intendance)],
) -> CollectivitePerson:
    """A logged-in collectivité administrator (``.schools``); else the 404 page."""
    if not isinstance(person, CollectivitePerson) or not person.schools:
        raise WebError(404)
    return person


OptionalPerson = Annotated[Person | None, Depends(optional_person)]
CurrentPerson = Annotated[Person, Depends(require_person)]
CurrentParent = Annotated[Person, Depends(require_parent)]
CurrentIntendance = Annotated[Person, Depends(require_intendance)]
CurrentCollectivite = Annotated[CollectivitePerson, Depends(require_collectivite)]
