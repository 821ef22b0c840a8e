"""The FastAPI application factory."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from portal_sync_api import __version__, background, web
from portal_sync_api.api import errors
from portal_sync_api.api.routes import children, families, health, payments, schools, sync
from portal_sync_api.core.config import Settings
from portal_sync_api.core.db import make_engine, make_sessionmaker
from portal_sync_api.schemas import MealBatchIn


def create_app(database_url: str | None = None) -> FastAPI:
    """The portal API bound to ``database_url`` (else ``PORTAL_DATABASE_URL``, else
    ``sqlite:///portal.db``). The schema must exist (``portal-sync-api migrate``)."""
    settings = Settings.from_env(database_url)
    app = FastAPI(
        title="Portail cantine — API de synchronisation",
        version=__version__,
        description="Stations, familles et intendance (voir docs/sync-protocol.md).",
        lifespan=background.lifespan(settings),  # mail, notices, payment expiry
    )
    engine = make_engine(settings.database_url, settings.pool)
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    app.state.settings = settings
    errors.install(app)
    for module in (health, sync, children, families, payments, schools):
        app.include_router(module.router)
    web.install(app)  # the pages for people; after the API's JSON error handlers

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            # The meal batch body is read by hand (per-item rejections instead of one 422
            # for the whole batch), so its schema is added here for the document.
            batch = MealBatchIn.model_json_schema(ref_template="#/components/schemas/{model}")
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components.update(batch.pop("$defs", {}))
            components["MealBatchIn"] = batch
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
