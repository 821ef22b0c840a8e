"""CSRF tokens of the forms.

A logged-in person's forms carry their session's secret (stored server-side with the
session, never in a cookie). Forms shown before login (connexion, inscription…) carry a
random value also set in a ``cantine_csrf`` cookie (double submit): another site can make
a browser post a form, but can neither read nor set that cookie.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import Depends, Request

from portal_sync_api.crud.web_sessions import Person
from portal_sync_api.web.errors import WebError
from portal_sync_api.web.session import current_person

CSRF_COOKIE = "cantine_csrf"
CSRF_FIELD = "csrf_token"
REFUSED = (
    "Le formulaire a expiré ou ne vient pas de ce site : rien n'a été enregistré. "
    "Rechargez la page et recommencez."
)


def expected_token(request: Request, person: Person | None) -> str | None:
    """The token a form posted by this browser must carry."""
    if person is not None:
        return person.csrf_secret
    return request.cookies.get(CSRF_COOKIE) or None


def csrf_token(request: Request, person: Person | None) -> tuple[str, tuple[str, str] | None]:
    """The token to put in the page's forms, and the cookie to set when a new one is made."""
    token = expected_token(request, person)
    if token is not None:
        return token, None
    token = getattr(request.state, "new_csrf", None) or secrets.token_urlsafe(32)
    request.state.new_csrf = token
    return token, (CSRF_COOKIE, token)


async def check_csrf(request: Request) -> None:
    """Refuse (403, French page) a form whose ``csrf_token`` is missing or wrong."""
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    expected = expected_token(request, current_person(request))
    # Compared as bytes: compare_digest raises on a str with non-ASCII characters (a
    # forged token « jeton-inventé » would otherwise be a 500, not a refusal).
    if (
        not isinstance(sent, str)
        or not expected
        or not hmac.compare_digest(sent.encode(), expected.encode())
    ):
        raise WebError(403, REFUSED, title="Formulaire refusé")


#: A dependency for every route that changes something from a form.
CsrfChecked = Annotated[None, Depends(check_csrf)]
