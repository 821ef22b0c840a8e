"""Dependencies of the routes: the database session and who is calling."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from portal_sync_api.api.errors import ApiError
from portal_sync_api.crud.accounts import Principal, principal_for
from portal_sync_api.models import Station

_bearer = HTTPBearer(auto_error=False, description="Jeton de station ou d'utilisateur")


def get_session(request: Request) -> Iterator[Session]:
    """One session per request; writers open their own transaction with ``begin()``."""
    with request.app.state.sessionmaker() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def get_principal(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The token's owner; 401 when the token is missing or unknown."""
    challenge = {"WWW-Authenticate": "Bearer"}
    if credentials is None or not credentials.credentials:
        raise ApiError(401, "jeton d'accès manquant", field="authorization", headers=challenge)
    principal = principal_for(session, token=credentials.credentials)
    if principal is None:
        raise ApiError(401, "jeton d'accès invalide", field="authorization", headers=challenge)
    session.commit()  # end the read transaction before the route starts its own
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def get_station(principal: CurrentPrincipal) -> Station:
    """The calling station; any other kind of token sees nothing here (404)."""
    if principal.station is None:
        raise ApiError(404, "réservé aux stations", field="authorization")
    return principal.station


CurrentStation = Annotated[Station, Depends(get_station)]


def get_user(principal: CurrentPrincipal) -> Principal:
    """A parent or intendance user; a station token sees nothing here (404)."""
    if principal.kind not in ("intendance", "parent"):
        raise ApiError(404, "réservé aux utilisateurs", field="authorization")
    return principal


CurrentUser = Annotated[Principal, Depends(get_user)]


def check_path_id(value: str, field: str, what: str) -> None:
    """Ids that could never exist (NUL, lone surrogates, too long) are simply not found."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ApiError(404, f"{what} introuvable", field=field) from None
    if "\x00" in value or len(value) > 64 or not value:
        raise ApiError(404, f"{what} introuvable", field=field)
