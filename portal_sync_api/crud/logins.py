"""Web logins of parents and the intendance: sign-up requests and their validation by
the intendance (business rules only, no HTTP), and the one module the web pages import.

People who log in are ``users`` rows (the same rows as the API tokens, so a logged-in
parent sees exactly what their family's token sees). One e-mail address is one login.
Passwords and links live in ``crud.passwords``, sessions and the throttle in
``crud.web_sessions``; their names are re-exported here.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal_sync_api.crud.accounts import Principal, create_user
from portal_sync_api.crud.passwords import (
    LINK_LIFETIME,
    WRONG_LOGIN,
    AccountRefused,
    LinkInvalid,
    NotFound,
    authenticate,
    check_email,
    check_password_link,
    create_login,
    login_user,
    new_link,
    password_link,
    start_password_reset,
    use_password_link,
)
from portal_sync_api.crud.web_sessions import (
    THROTTLED,
    Person,
    end_session,
    end_user_sessions,
    iso,
    lookup_session,
    record_attempt,
    start_session,
    throttled,
    utcnow,
)
from portal_sync_api.mail.outbox import queue_mail
from portal_sync_api.models import AccountRequest, Card, Child, User

__all__ = [
    "NO_MATCH",
    "THROTTLED",
    "WRONG_LOGIN",
    "AccountRefused",
    "LinkInvalid",
    "NotFound",
    "PendingRequest",
    "Person",
    "authenticate",
    "check_password_link",
    "create_login",
    "end_session",
    "end_user_sessions",
    "lookup_session",
    "password_link",
    "pending_requests",
    "refuse_request",
    "request_account",
    "start_password_reset",
    "start_session",
    "use_password_link",
    "validate_request",
]

#: The one answer to a sign-up that matches no pupil, whichever field is wrong.
NO_MATCH = "Ces informations ne correspondent à aucun élève."


def fold_name(name: str) -> str:
    """A name compared without accents, case, hyphens or extra spaces (« Zoé-Marie » =
    « zoe marie »)."""
    decomposed = unicodedata.normalize("NFKD", name)
    letters = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[-'’‐]", " ", letters).split())


# -- sign-up requests ----------------------------------------------------------------------


def request_account(
    session: Session,
    *,
    card_digits: str,
    last_name: str,
    first_name: str,
    email: str,
    ip: str,
    now: datetime | None = None,
) -> list[AccountRequest]:
    """Pending requests for the pupils whose card ends with these 5 digits and whose
    names match (one, except for namesakes in two schools of the portal: each school's
    intendance then decides on its own pupil). No match: ``NO_MATCH``, counted against
    ``ip``; after ``THROTTLE_MAX`` of them, ``THROTTLED``. An identical pending request
    is kept rather than doubled."""
    now = now or utcnow()
    email = check_email(email)
    if throttled(session, kind="signup", ip=ip, now=now):
        raise AccountRefused(THROTTLED)
    children = _matching_children(session, card_digits.strip(), last_name, first_name)
    if not children:
        record_attempt(session, kind="signup", ip=ip, now=now)
        raise AccountRefused(NO_MATCH)
    requests = []
    for child in children:
        existing = session.execute(
            select(AccountRequest).where(
                AccountRequest.child_id == child.id,
                AccountRequest.email == email,
                AccountRequest.status == "pending",
            )
        ).scalar_one_or_none()
        if existing is None:
            existing = AccountRequest(
                school_id=child.school_id,
                child_id=child.id,
                family_id=child.family_id,
                email=email,
                status="pending",
                created_at=iso(now),
            )
            session.add(existing)
        requests.append(existing)
    session.flush()
    return requests


def _matching_children(session: Session, digits: str, last: str, first: str) -> list[Child]:
    if not re.fullmatch(r"[0-9]{5}", digits):
        return []
    candidates = session.execute(
        select(Child)
        .join(Card, Card.child_id == Child.id)
        .where(Card.code.like(f"%{digits}"))
        .order_by(Child.school_id, Child.id)
    ).scalars()
    found = {
        c.id: c
        for c in candidates
        if fold_name(c.last_name) == fold_name(last) and fold_name(c.first_name) == fold_name(first)
    }
    return list(found.values())


@dataclass(frozen=True)
class PendingRequest:
    """A row of the intendance's « comptes en attente » list."""

    id: int
    child_id: str
    child_name: str
    class_name: str
    email: str
    created_at: str


def pending_requests(session: Session, principal: Principal) -> list[PendingRequest]:
    """Pending requests of the intendance's school, oldest first (nothing for others)."""
    if principal.kind != "intendance" or principal.school_id is None:
        return []
    rows = session.execute(
        select(AccountRequest, Child)
        .join(Child, Child.id == AccountRequest.child_id)
        .where(AccountRequest.school_id == principal.school_id, AccountRequest.status == "pending")
        .order_by(AccountRequest.created_at, AccountRequest.id)
    ).all()
    return [
        PendingRequest(
            id=r.id,
            child_id=c.ref,
            child_name=f"{c.last_name} {c.first_name}",
            class_name=c.class_name,
            email=r.email,
            created_at=r.created_at,
        )
        for r, c in rows
    ]


def _decidable(session: Session, principal: Principal, request_id: int) -> AccountRequest:
    request = session.get(AccountRequest, request_id)
    if (
        request is None
        or principal.kind != "intendance"
        or request.school_id != principal.school_id
    ):
        raise NotFound("demande introuvable")
    if request.status != "pending":
        raise AccountRefused("Cette demande a déjà été traitée.")
    return request


def validate_request(
    session: Session,
    principal: Principal,
    *,
    request_id: int,
    decided_by: int | None,
    public_url: str,
    now: datetime | None = None,
) -> User:
    """Validate a pending request of the intendance's school: the parent's user for that
    family and e-mail is created (or reused) and gets the ``account_validated`` e-mail,
    with a single-use link to choose a password unless they already have one.
    ``NotFound`` outside the intendance's school."""
    now = now or utcnow()
    request = _decidable(session, principal, request_id)
    child = session.get(Child, request.child_id)
    family_id = request.family_id
    if child is None or family_id is None:
        raise AccountRefused(
            "Cet élève n'est rattaché à aucune famille dans le fichier de l'école."
        )
    user = login_user(session, request.email)
    if user is not None and (user.role != "parent" or user.family_id != family_id):
        raise AccountRefused(
            "Cette adresse e-mail est déjà celle d'un autre compte : "
            "le parent doit faire sa demande avec une autre adresse."
        )
    if user is None:
        create_user(session, role="parent", email=request.email, family_key=family_id)
        user = login_user(session, request.email)
        assert user is not None
    link = None
    if user.password_hash is None:
        link = new_link(session, user, "set_password", public_url, now)
    request.status = "validated"
    request.decided_at = iso(now)
    request.decided_by = decided_by
    queue_mail(
        session,
        to=user.email,
        subject="Votre compte cantine est validé",
        template="account_validated",
        context={
            "child_name": f"{child.first_name} {child.last_name}",
            "link": link,
            "expires_hours": int(LINK_LIFETIME.total_seconds() // 3600),
            "login_url": f"{public_url.rstrip('/')}/connexion",
        },
    )
    session.flush()
    return user


def refuse_request(
    session: Session,
    principal: Principal,
    *,
    request_id: int,
    decided_by: int | None,
    now: datetime | None = None,
) -> None:
    """Refuse a pending request of the intendance's school; the address is told, without
    the reason. ``NotFound`` outside the intendance's school."""
    now = now or utcnow()
    request = _decidable(session, principal, request_id)
    request.status = "refused"
    request.decided_at = iso(now)
    request.decided_by = decided_by
    queue_mail(
        session,
        to=request.email,
        subject="Votre demande de compte cantine",
        template="account_refused",
        context={},
    )
    session.flush()
