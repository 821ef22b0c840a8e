"""Web pages of the portal for people (parents, intendance): server-rendered French HTML
on the same ``crud`` functions as the API. ``install(app)`` adds them to the API app."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from portal_sync_api.web import errors
from portal_sync_api.web.routes import (
    auth,
    collectivite,
    family,
    info,
    intendance,
    intendance_audit,
    intendance_cards,
    intendance_families,
    intendance_imports,
    intendance_stations,
    notices,
    payments,
    quotient,
    statements,
)

STATIC = Path(__file__).with_name("static")


def install(app: FastAPI) -> None:
    """Mount ``/static`` and every web router on ``app``, with HTML error pages for web
    paths (call after ``api.errors.install``: the JSON handlers stay for the API)."""
    errors.install(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for module in (
        auth,
        intendance,
        intendance_stations,
        intendance_families,
        intendance_cards,
        intendance_audit,
        intendance_imports,
        collectivite,
        payments,
        statements,
        quotient,
        notices,
        info,
        family,
    ):
        app.include_router(module.router, include_in_schema=False)
