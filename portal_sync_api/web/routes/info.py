"""The accessibility statement, and ``/`` sending each person to their home."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from portal_sync_api.web.deps import OptionalPerson
from portal_sync_api.web.render import render
from portal_sync_api.web.routes.auth import home_of

router = APIRouter()


@router.get("/")
def root(person: OptionalPerson) -> Response:
    """The family's home, the intendance's, or the login page."""
    return RedirectResponse(home_of(person), status_code=303)


@router.get("/accessibilite")
def accessibility(request: Request) -> Response:
    """Déclaration d'accessibilité (RGAA); the conformity is the operator's to state."""
    return render(request, "info/accessibilite.html")
