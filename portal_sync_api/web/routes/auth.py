"""Log in, log out, sign up, forgotten password and the password-link page."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from portal_sync_api.crud import logins
from portal_sync_api.crud.web_sessions import Person
from portal_sync_api.web.deps import CsrfChecked, OptionalPerson, SessionDep, client_ip, now
from portal_sync_api.web.render import flash, render
from portal_sync_api.web.session import clear_session_cookie, set_session_cookie

router = APIRouter()

TextField = Annotated[str, Form()]


def public_url(request: Request) -> str:
    """The portal's public address, for links in e-mails (``PORTAL_PUBLIC_URL``)."""
    settings = getattr(request.app.state, "settings", None)
    return str(getattr(settings, "public_url", None) or request.base_url).rstrip("/")


def home_of(person: Person | None) -> str:
    """Where a person lands: the family's home, the intendance's, else the login page."""
    if person is None:
        return "/connexion"
    return "/famille" if person.role == "parent" else "/intendance"


def safe_next(value: str | None) -> str | None:
    """``value`` when it is a path of this site (``/famille?x=1``), else ``None``: never
    another site (``//evil.fr``, ``https://…``, ``/\\evil.fr``) after login."""
    if not value or len(value) > 500 or not value.startswith("/"):
        return None
    if value.startswith(("//", "/\\")) or any(c in value for c in "\\\r\n\t\x00"):
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return None
    return value


def _see(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# -- connexion -----------------------------------------------------------------------------


@router.get("/connexion")
def login_page(request: Request, person: OptionalPerson, suite: str = "") -> Response:
    """The login form (a logged-in person goes straight on)."""
    if person is not None:
        return _see(safe_next(suite) or home_of(person))
    return render(request, "compte/connexion.html", {"suite": safe_next(suite) or ""})


@router.post("/connexion")
def login(
    request: Request,
    session: SessionDep,
    _csrf: CsrfChecked,
    email: TextField = "",
    password: TextField = "",
    suite: TextField = "",
) -> Response:
    """Check the address and password; open a session and go on, or say why not."""
    error = None
    with session.begin():
        try:
            user = logins.authenticate(
                session, email=email, password=password, ip=client_ip(request), now=now(request)
            )
            session_id = logins.start_session(session, user=user, now=now(request))
        except logins.AccountRefused as refused:
            error = refused.message
    if error is not None:
        status = 429 if error == logins.THROTTLED else 401
        context = {"error": error, "email": email, "suite": safe_next(suite) or ""}
        return render(request, "compte/connexion.html", context, status=status)
    target = safe_next(suite) or ("/famille" if user.role == "parent" else "/intendance")
    response = _see(target)
    set_session_cookie(request, response, session_id)
    return response


# -- déconnexion ---------------------------------------------------------------------------


@router.get("/deconnexion")
def logout_page(request: Request, person: OptionalPerson) -> Response:
    """A small form to log out (logging out changes something: it is a POST)."""
    if person is None:
        return _see("/connexion")
    return render(request, "compte/deconnexion.html")


@router.post("/deconnexion")
def logout(request: Request, session: SessionDep, _csrf: CsrfChecked) -> Response:
    """End the session of this browser."""
    session_id = request.cookies.get("cantine_session")
    if session_id:
        with session.begin():
            logins.end_session(session, session_id=session_id)
    response = _see("/connexion")
    clear_session_cookie(request, response)
    return flash(request, response, "Vous êtes déconnecté.")


# -- inscription ---------------------------------------------------------------------------


@router.get("/inscription")
def signup_page(request: Request) -> Response:
    """The sign-up form: the card's last 5 digits, the child's names, an e-mail."""
    return render(request, "compte/inscription.html", {"values": {}})


@router.post("/inscription")
def signup(
    request: Request,
    session: SessionDep,
    _csrf: CsrfChecked,
    card_digits: TextField = "",
    last_name: TextField = "",
    first_name: TextField = "",
    email: TextField = "",
) -> Response:
    """Record a request for the intendance to validate, or say it matches no pupil."""
    refused: logins.AccountRefused | None = None
    with session.begin():
        try:
            logins.request_account(
                session,
                card_digits=card_digits,
                last_name=last_name,
                first_name=first_name,
                email=email,
                ip=client_ip(request),
                now=now(request),
            )
        except logins.AccountRefused as exc:
            refused = exc
    if refused is not None:
        values = {
            "card_digits": card_digits,
            "last_name": last_name,
            "first_name": first_name,
            "email": email,
        }
        status = 429 if refused.message == logins.THROTTLED else 422
        context = {"values": values, "error": refused.message, "error_field": refused.field}
        return render(request, "compte/inscription.html", context, status=status)
    return render(request, "compte/inscription_envoyee.html", {"email": email.strip()})


# -- mot de passe --------------------------------------------------------------------------


@router.get("/mot-de-passe-oublie")
def reset_page(request: Request) -> Response:
    """Ask for a link to choose a new password."""
    return render(request, "compte/mot_de_passe_oublie.html")


@router.post("/mot-de-passe-oublie")
def reset(
    request: Request, session: SessionDep, _csrf: CsrfChecked, email: TextField = ""
) -> Response:
    """Queue the link when the address is known; the answer is the same when it is not."""
    error = None
    with session.begin():
        try:
            logins.start_password_reset(
                session,
                email=email,
                ip=client_ip(request),
                public_url=public_url(request),
                now=now(request),
            )
        except logins.AccountRefused as refused:
            error = refused.message
    if error is not None:
        status = 429 if error == logins.THROTTLED else 422
        context = {"error": error, "email": email}
        return render(request, "compte/mot_de_passe_oublie.html", context, status=status)
    return render(request, "compte/lien_envoye.html", {"email": email.strip()})


@router.get("/mot-de-passe/choisir")
def choose_page(request: Request, session: SessionDep, jeton: str = "") -> Response:
    """The form to choose a password, opened from the e-mail's link."""
    try:
        with session.begin():
            email = logins.check_password_link(session, token=jeton, now=now(request))
    except logins.LinkInvalid as gone:
        return render(request, "compte/lien_invalide.html", {"error": gone.message}, status=410)
    return render(request, "compte/choisir.html", {"jeton": jeton, "email": email})


@router.post("/mot-de-passe/choisir")
def choose(
    request: Request,
    session: SessionDep,
    _csrf: CsrfChecked,
    jeton: TextField = "",
    password: TextField = "",
    password_again: TextField = "",
) -> Response:
    """Set the password (the link is used up, every session of that person ends)."""
    error: logins.AccountRefused | None = None
    email = ""
    with session.begin():
        try:
            email = logins.check_password_link(session, token=jeton, now=now(request))
            if password != password_again:
                raise logins.AccountRefused(
                    "Les deux mots de passe saisis sont différents.", "password_again"
                )
            logins.use_password_link(session, token=jeton, password=password, now=now(request))
        except logins.LinkInvalid as gone:
            return render(request, "compte/lien_invalide.html", {"error": gone.message}, status=410)
        except logins.AccountRefused as refused:
            error = refused
    if error is not None:
        context = {
            "jeton": jeton,
            "email": email,
            "error": error.message,
            "error_field": error.field,
        }
        return render(request, "compte/choisir.html", context, status=422)
    response = _see("/connexion")
    clear_session_cookie(request, response)
    return flash(
        request, response, "Votre mot de passe est enregistré. Vous pouvez vous connecter."
    )
