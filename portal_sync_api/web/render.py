"""Pages rendered with Jinja2 (autoescaped, French), with what every page needs: the
logged-in person, the CSRF token of its forms, a one-time message (« flash »)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from portal_sync_api.crud.reads import euros
from portal_sync_api.web.csrf import csrf_token
from portal_sync_api.web.session import current_person, set_cookie

TEMPLATES = Path(__file__).with_name("templates")
FLASH_COOKIE = "cantine_flash"

#: Sent with every page: no framing, no sniffing, no referrer carrying a password link's
#: token to another site, and nothing loaded from elsewhere (no CDN, no inline script).
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    # Pages show personal data: never kept by a shared computer's browser cache.
    "Cache-Control": "no-store",
}

environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
environment.filters["euros"] = euros


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, *, status: int = 200
) -> HTMLResponse:
    """The page ``template`` (a path under ``web/templates``) with ``context``, plus
    ``person`` (the logged-in person or ``None``), ``csrf_token`` and ``flash``."""
    person = current_person(request)
    token, new_cookie = csrf_token(request, person)
    flash = request.cookies.get(FLASH_COOKIE)
    values: dict[str, Any] = {
        "request": request,
        "person": person,
        "csrf_token": token,
        "flash": unquote(flash)[:300] if flash else None,
        "path": request.url.path,
    }
    values.update(context or {})
    html = environment.get_template(template).render(values)
    response = HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)
    if new_cookie:
        set_cookie(request, response, new_cookie[0], new_cookie[1])
    if flash:
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response


def flash(request: Request, response: Response, message: str) -> Response:
    """Show ``message`` once, on the next page rendered for this browser."""
    set_cookie(request, response, FLASH_COOKIE, quote(message[:300]), max_age=120)
    return response
