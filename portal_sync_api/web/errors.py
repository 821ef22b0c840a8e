"""Errors of the web pages: French HTML pages for browsers, the API keeps its JSON."""

from __future__ import annotations

import inspect
import logging
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import PlainTextResponse, RedirectResponse, Response
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("portal_sync_api.web")

#: Paths answered by the JSON API (everything else is a web page).
API_PREFIXES = ("/v1/", "/healthz", "/openapi.json", "/docs", "/redoc")

_TITLES = {
    400: "Demande incomplète",
    403: "Accès refusé",
    404: "Page introuvable",
    405: "Action impossible",
    413: "Envoi trop volumineux",
    500: "Erreur du portail",
    503: "Portail très sollicité",
}
_MESSAGES = {
    400: "La demande est incomplète ou mal formée : revenez à la page précédente.",
    403: "Vous n'avez pas accès à cette page.",
    404: "Cette page n'existe pas, ou elle ne vous est pas accessible.",
    405: "Cette action n'est pas possible sur cette page.",
    413: "L'envoi est trop volumineux.",
    500: "Une erreur imprévue est survenue. Réessayez dans quelques instants.",
    503: "Le portail reçoit beaucoup de demandes en ce moment. Réessayez dans quelques secondes.",
}


class WebError(Exception):
    """Show the French error page ``status`` with ``message`` (404 for anything missing
    or outside the person's family or school, exactly like an unknown id)."""

    def __init__(self, status: int, message: str | None = None, *, title: str | None = None):
        super().__init__(message or _MESSAGES.get(status, ""))
        self.status = status
        self.message = message or _MESSAGES.get(status, _MESSAGES[400])
        self.title = title or _TITLES.get(status, "Erreur")


class LoginRequired(Exception):
    """The page needs a logged-in person: go to /connexion and come back after."""

    def __init__(self, back_to: str) -> None:
        super().__init__(back_to)
        self.back_to = back_to


def is_api(path: str) -> bool:
    """Whether ``path`` belongs to the JSON API."""
    return path.startswith(API_PREFIXES)


def error_page(
    request: Request, status: int, message: str | None = None, title: str | None = None
) -> Response:
    """The French error page of ``status``."""
    from portal_sync_api.web.render import render

    error = WebError(status, message, title=title)
    return render(
        request,
        "erreurs/erreur.html",
        {"title": error.title, "message": error.message, "status": status},
        status=status,
    )


async def _call(handler: Any, request: Request, exc: Exception) -> Any:
    result = handler(request, exc)
    return await result if inspect.isawaitable(result) else result


def install(app: FastAPI) -> None:
    """HTML error handlers for web paths, delegating API paths to the JSON handlers that
    ``api.errors.install`` registered before."""
    json_http = app.exception_handlers.get(StarletteHTTPException)
    json_validation = app.exception_handlers.get(RequestValidationError)
    json_busy = app.exception_handlers.get(PoolTimeout)

    @app.exception_handler(WebError)
    async def web_error(request: Request, exc: WebError) -> Response:
        return error_page(request, exc.status, exc.message, exc.title)

    @app.exception_handler(LoginRequired)
    async def login_required(_request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(f"/connexion?suite={quote(exc.back_to, safe='/')}", 303)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Any:
        if is_api(request.url.path) and json_http is not None:
            return await _call(json_http, request, exc)
        return error_page(request, exc.status_code if exc.status_code in _TITLES else 400)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Any:
        if is_api(request.url.path) and json_validation is not None:
            return await _call(json_validation, request, exc)
        return error_page(request, 400)

    @app.exception_handler(PoolTimeout)
    async def busy(request: Request, exc: PoolTimeout) -> Any:
        if is_api(request.url.path) and json_busy is not None:
            return await _call(json_busy, request, exc)
        log.warning("database pool exhausted: page answered 503")
        page = error_page(request, 503)
        page.headers["Retry-After"] = "5"
        return page

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception) -> Response:
        # Reached only by a bug: the traceback goes to the log, the person gets a page.
        log.error("unexpected error on %s", request.url.path, exc_info=exc)
        if is_api(request.url.path):
            return PlainTextResponse("Internal Server Error", status_code=500)
        return error_page(request, 500)
