"""Liveness and database reachability."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from portal_sync_api.api.deps import SessionDep
from portal_sync_api.schemas import Health

router = APIRouter(tags=["health"])


@router.get(
    "/healthz",
    response_model=Health,
    responses={503: {"model": Health, "description": "Base de données injoignable"}},
)
def healthz(session: SessionDep) -> Health | JSONResponse:
    """``ok`` when the process runs and the database answers."""
    try:
        session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
    return Health(status="ok", database="ok")
