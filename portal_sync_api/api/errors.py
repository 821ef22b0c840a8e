"""Error answers: always JSON ``{"detail", "field"}``, never a bare 500 for bad input."""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from portal_sync_api.core.config import MAX_BODY_BYTES, MAX_PHOTO_BODY_BYTES
from portal_sync_api.schemas import ErrorPublic, field_of

log = logging.getLogger("portal_sync_api")


#: The answer when every database connection of the worker stayed busy too long.
BUSY = "portail très sollicité, réessayez dans quelques secondes"
RETRY_AFTER = "5"


class ApiError(Exception):
    """An error answer with a status, a message for people and the field at fault."""

    def __init__(
        self,
        status_code: int,
        detail: str,
        *,
        field: str | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.detail = detail
        self.field = field
        self.headers = headers
        self.extra = extra or {}


def not_found(what: str, field: str) -> ApiError:
    """The answer for anything missing or outside the caller's school/family."""
    return ApiError(404, f"{what} introuvable", field=field)


def require_json(request: Request) -> None:
    """Refuse with 415 a body that does not say it is JSON (``text/plain`` is not parsed)."""
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != "application/json":
        raise ApiError(415, "le corps doit être du JSON (application/json)", field="content-type")


#: Error responses shared by the routes, for the OpenAPI document.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorPublic, "description": "Jeton absent ou invalide"},
    404: {"model": ErrorPublic, "description": "Introuvable (ou hors de votre périmètre)"},
    413: {"model": ErrorPublic, "description": "Requête trop volumineuse"},
    415: {"model": ErrorPublic, "description": "Le corps n'est pas du JSON"},
    422: {"model": ErrorPublic, "description": "Donnée invalide; `field` la nomme"},
}


def _body(
    detail: str,
    field: str | None,
    errors: list[dict[str, Any]] | None = None,
    extra: dict[str, Any] | None = None,
) -> Any:
    error = ErrorPublic(detail=detail, field=field, errors=errors, **(extra or {}))
    return error.model_dump(mode="json", exclude_none=True)


def install(app: FastAPI) -> None:
    """Register the exception handlers and the body-size guard on ``app``."""

    @app.exception_handler(ApiError)
    async def api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(
            _body(exc.detail, exc.field, extra=exc.extra),
            status_code=exc.status_code,
            headers=exc.headers,
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "loc": [str(p) for p in e.get("loc", ())],
                "msg": str(e.get("msg", "")),
                "type": str(e.get("type", "")),
            }
            for e in exc.errors()
        ]
        first = errors[0] if errors else {"loc": [], "msg": "invalide"}
        field = field_of(first["loc"])
        return JSONResponse(_body(f"{field}: {first['msg']}", field, errors), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            _body(str(exc.detail), None),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(RecursionError)
    async def too_deep(_request: Request, _exc: RecursionError) -> JSONResponse:
        # FastAPI parses JSON bodies itself: deeply nested brackets must stay a 4xx.
        return JSONResponse(_body("JSON trop imbriqué", "body"), status_code=422)

    @app.exception_handler(OperationalError)
    async def database_down(_request: Request, exc: OperationalError) -> JSONResponse:
        log.error("database error: %s", type(exc.orig).__name__)
        return JSONResponse(_body("base de données indisponible", "database"), status_code=503)

    @app.exception_handler(ClientDisconnect)
    async def client_gone(_request: Request, _exc: ClientDisconnect) -> Response:
        # The client gave up before its body was read (a station's timeout in a rush):
        # nothing was written and nobody reads the answer. Not a bug: no traceback.
        log.info("client disconnected before its request was read")
        return Response(status_code=400)

    @app.exception_handler(PoolTimeout)
    async def pool_exhausted(_request: Request, _exc: PoolTimeout) -> JSONResponse:
        # Every connection of this worker's pool stayed busy for PORTAL_DB_POOL_TIMEOUT:
        # a station retries its sync later, nothing was written.
        log.warning("database pool exhausted: request answered 503")
        return JSONResponse(
            _body(BUSY, "database"), status_code=503, headers={"Retry-After": RETRY_AFTER}
        )

    app.add_middleware(BodyLimit)


#: The one page allowed a larger body: a parent's photo upload (10 MB and its form).
PHOTO_UPLOAD = re.compile(r"/famille/enfants/[^/]+/photo")


#: Pages that count the bytes of their upload themselves and refuse beyond their own
#: limit on a French page (the intendance's CSV imports: 5 Mo).
SELF_LIMITED = ("/intendance/imports",)


class BodyLimit:
    """Refuse request bodies over 1 MiB (the photo upload: ``MAX_PHOTO_BODY_BYTES``) with
    413, before the application reads them."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") in SELF_LIMITED:
            await self.app(scope, receive, send)
            return
        photo = PHOTO_UPLOAD.fullmatch(scope.get("path", ""))
        limit = MAX_PHOTO_BODY_BYTES if photo else self.limit
        too_big_text = "corps de requête > 10 Mo" if photo else "corps de requête > 1 Mio"
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    too_big = int(value) > limit
                except ValueError:
                    too_big = False
                if too_big:
                    await self._refuse(send, web=bool(photo))
                    return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise ApiError(413, too_big_text, field="body")
            return message

        await self.app(scope, limited, send)

    async def _refuse(self, send: Send, *, web: bool = False) -> None:
        response: Response = JSONResponse(
            _body("corps de requête > 1 Mio", "body"), status_code=413
        )
        if web:  # a person's browser: a French sentence, not JSON
            response = HTMLResponse(_TOO_BIG_PAGE, status_code=413)
        await send({"type": "http.response.start", "status": 413, "headers": response.raw_headers})
        await send({"type": "http.response.body", "body": response.body})


_TOO_BIG_PAGE = (
    '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    '<link rel="stylesheet" href="/static/portail.css"><title>Fichier trop '
    'volumineux — Portail cantine</title></head><body><main id="contenu">'
    "<h1>Fichier trop volumineux</h1>"
    "<p>La photo dépasse 10 Mo : rien n'a été enregistré. Choisissez une image plus petite."
    '</p><p><a href="/famille">Revenir à l’espace famille</a></p></main>'
    "</body></html>"
)
