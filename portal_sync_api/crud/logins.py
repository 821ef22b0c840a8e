"""Web logins of parents and the intendance: sign-up requests, their validation,
password links, password login (business rules only, no HTTP).

People who log in are ``users`` rows (the same rows as the API tokens, so a logged-in
parent sees exactly what their family's token sees). One e-mail address is one login.
Sessions and the throttle live in ``crud.web_sessions``; their names are re-exported here.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from portal_sync_api.core.security import hash_token, new_token
from portal_sync_api.crud.accounts import Principal, create_user
from portal_sync_api.crud.schools import require_school
from portal_sync_api.crud.web_sessions import (
    THROTTLED,
    Person,
    end_session,
    end_user_sessions,
    forget_attempts,
    iso,
    lookup_session,
    record_attempt,
    start_session,
    throttled,
    utcnow,
)
from portal_sync_api.errors import PortalError
from portal_sync_api.mail.outbox import queue_mail
from portal_sync_api.models import AccountRequest, Card, Child, PasswordLink, User

__all__ = [
    "THROTTLED",
    "AccountRefused",
    "LinkInvalid",
    "NotFound",
    "Person",
    "authenticate",
    "create_login",
    "end_session",
    "end_user_sessions",
    "lookup_session",
    "start_session",
]

#: How long a password link stays valid.
LINK_LIFETIME = timedelta(hours=48)
#: The shortest password accepted (ANSSI's advice for a password alone: 12 and more).
MIN_PASSWORD = 12
MAX_PASSWORD = 256
#: The one answer to a sign-up that matches no pupil, whichever field is wrong.
NO_MATCH = "Ces informations ne correspondent à aucun élève."
WRONG_LOGIN = "Adresse e-mail ou mot de passe incorrect."
LINK_GONE = (
    "Ce lien n'est plus valable : il a déjà servi ou il a expiré. "
    "Demandez un nouveau lien depuis « Mot de passe oublié »."
)
#: The page a password link opens.
PASSWORD_PATH = "/mot-de-passe/choisir"

_hasher = PasswordHasher()  # argon2id, the library's current defaults
# Verified when the address is unknown, so a wrong address costs the same time as a
# wrong password and the answer time tells nothing.
_DUMMY_HASH = _hasher.hash("aucun compte ne porte ce mot de passe")
_EMAIL = re.compile(r"^[^@\s<>\"']+@[^@\s<>\"']+\.[^@\s<>\"']+$")


class AccountRefused(PortalError):
    """A refusal shown to the person as text on the page; ``field`` is the form field at
    fault (``None`` when no field may be named)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class LinkInvalid(AccountRefused):
    """A password link that is unknown, used or expired."""

    def __init__(self) -> None:
        super().__init__(LINK_GONE, None)


class NotFound(PortalError):
    """Missing or outside the caller's school: both answered the same way (404)."""


def normalize_email(email: str) -> str:
    """The address as stored and compared: trimmed, lower case."""
    return email.strip().lower()


def check_email(email: str, field: str = "email") -> str:
    """A normalized address, or a refusal naming ``field``."""
    email = normalize_email(email)
    if len(email) > 254 or not _EMAIL.match(email):
        raise AccountRefused(
            "Saisissez une adresse e-mail valide (exemple : nom@domaine.fr).", field
        )
    return email


def fold_name(name: str) -> str:
    """A name compared without accents, case, hyphens or extra spaces (« Zoé-Marie » =
    « zoe marie »)."""
    decomposed = unicodedata.normalize("NFKD", name)
    letters = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[-'’‐]", " ", letters).split())


def check_password(password: str) -> None:
    """The password rule; a refusal on the ``password`` field otherwise."""
    if len(password) < MIN_PASSWORD:
        raise AccountRefused(
            f"Le mot de passe doit contenir au moins {MIN_PASSWORD} caractères.", "password"
        )
    if len(password) > MAX_PASSWORD:
        raise AccountRefused(
            f"Le mot de passe doit contenir au plus {MAX_PASSWORD} caractères.", "password"
        )


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
) -> AccountRequest:
    """A pending request when the card's last 5 digits and the child's names match one
    pupil; else ``NO_MATCH`` (counted against ``ip``; after ``THROTTLE_MAX`` of them,
    ``THROTTLED``). An identical pending request is returned instead of a second one."""
    now = now or utcnow()
    email = check_email(email)
    if throttled(session, kind="signup", ip=ip, now=now):
        raise AccountRefused(THROTTLED)
    digits = card_digits.strip()
    child = _matching_child(session, digits, last_name, first_name) if digits else None
    if child is None:
        record_attempt(session, kind="signup", ip=ip, now=now)
        raise AccountRefused(NO_MATCH)
    existing = session.execute(
        select(AccountRequest).where(
            AccountRequest.child_id == child.id,
            AccountRequest.email == email,
            AccountRequest.status == "pending",
        )
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    request = AccountRequest(
        school_id=child.school_id,
        child_id=child.id,
        family_id=child.family_id,
        email=email,
        status="pending",
        created_at=iso(now),
    )
    session.add(request)
    session.flush()
    return request


def _matching_child(session: Session, digits: str, last: str, first: str) -> Child | None:
    if not re.fullmatch(r"[0-9]{5}", digits):
        return None
    candidates = session.execute(
        select(Child).join(Card, Card.child_id == Child.id).where(Card.code.like(f"%{digits}"))
    ).scalars()
    found = {
        c.id: c
        for c in candidates
        if fold_name(c.last_name) == fold_name(last) and fold_name(c.first_name) == fold_name(first)
    }
    # Two pupils with the same names and card suffix (in two schools): no way to tell
    # which one is meant, so neither.
    return next(iter(found.values())) if len(found) == 1 else None


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
            child_id=c.id,
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
    user = _login_user(session, request.email)
    if user is not None and (user.role != "parent" or user.family_id != family_id):
        raise AccountRefused(
            "Cette adresse e-mail est déjà celle d'un autre compte : "
            "le parent doit faire sa demande avec une autre adresse."
        )
    if user is None:
        create_user(session, role="parent", email=request.email, family_id=family_id)
        user = _login_user(session, request.email)
        assert user is not None
    link = None
    if user.password_hash is None:
        link = _new_link(session, user, "set_password", public_url, now)
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


# -- passwords -----------------------------------------------------------------------------


def _login_user(session: Session, email: str) -> User | None:
    """The user an address logs in as (the oldest one, should a token-only user share it)."""
    return (
        session.execute(
            select(User)
            .where(func.lower(User.email) == normalize_email(email))
            .order_by(User.password_hash.is_(None), User.id)
            .limit(1)
        )
        .scalars()
        .first()
    )


def _new_link(session: Session, user: User, purpose: str, public_url: str, now: datetime) -> str:
    token = new_token("mp")
    session.add(
        PasswordLink(
            token_hash=hash_token(token),
            user_id=user.id,
            purpose=purpose,
            created_at=iso(now),
            expires_at=iso(now + LINK_LIFETIME),
        )
    )
    session.flush()
    return f"{public_url.rstrip('/')}{PASSWORD_PATH}?jeton={token}"


def password_link(
    session: Session, *, email: str, public_url: str, now: datetime | None = None
) -> str:
    """A fresh single-use link for an existing user to choose a password (the CLI's way
    to give the first intendance user a login). ``NotFound`` for an unknown address."""
    user = _login_user(session, email)
    if user is None or user.disabled:
        raise NotFound(f"aucun utilisateur avec l'adresse {normalize_email(email)}")
    purpose = "set_password" if user.password_hash is None else "reset_password"
    return _new_link(session, user, purpose, public_url, now or utcnow())


def start_password_reset(
    session: Session, *, email: str, ip: str, public_url: str, now: datetime | None = None
) -> None:
    """Queue a ``password_reset`` e-mail when the address is a login; nothing otherwise.
    The caller answers the same either way. Requests are counted per IP (throttled)."""
    now = now or utcnow()
    email = check_email(email)
    if throttled(session, kind="reset", ip=ip, email=email, now=now):
        raise AccountRefused(THROTTLED)
    record_attempt(session, kind="reset", ip=ip, email=email, now=now)
    user = _login_user(session, email)
    if user is None or user.disabled:
        return
    link = _new_link(session, user, "reset_password", public_url, now)
    queue_mail(
        session,
        to=user.email,
        subject="Choisir un nouveau mot de passe",
        template="password_reset",
        context={
            "link": link,
            "expires_hours": int(LINK_LIFETIME.total_seconds() // 3600),
        },
    )


def _live_link(session: Session, token: str, now: datetime) -> PasswordLink:
    if not token or len(token) > 128:
        raise LinkInvalid()
    link = session.execute(
        select(PasswordLink).where(PasswordLink.token_hash == hash_token(token))
    ).scalar_one_or_none()
    if link is None or link.used_at is not None or link.expires_at <= iso(now):
        raise LinkInvalid()
    user = session.get(User, link.user_id)
    if user is None or user.disabled:
        raise LinkInvalid()
    return link


def check_password_link(session: Session, *, token: str, now: datetime | None = None) -> str:
    """The address a live link is for; ``LinkInvalid`` when used, expired or unknown."""
    link = _live_link(session, token, now or utcnow())
    user = session.get(User, link.user_id)
    assert user is not None
    return user.email


def use_password_link(
    session: Session, *, token: str, password: str, now: datetime | None = None
) -> User:
    """Set the password of the link's user; the link (and any other of theirs) is used up
    and every session of that user ends. ``LinkInvalid`` or a refusal on ``password``."""
    now = now or utcnow()
    link = _live_link(session, token, now)
    check_password(password)
    user = session.get(User, link.user_id)
    assert user is not None
    _set_password(session, user, password, now)
    session.execute(
        update(PasswordLink)
        .where(PasswordLink.user_id == user.id, PasswordLink.used_at.is_(None))
        .values(used_at=iso(now))
    )
    forget_attempts(session, kind="login", email=normalize_email(user.email))
    return user


def _set_password(session: Session, user: User, password: str, now: datetime) -> None:
    user.password_hash = _hasher.hash(password)
    user.password_changed_at = iso(now)
    session.flush()
    end_user_sessions(session, user_id=user.id)


def authenticate(
    session: Session, *, email: str, password: str, ip: str, now: datetime | None = None
) -> User:
    """The user whose address and password these are. A failure is counted against the
    address and the IP and answered ``WRONG_LOGIN`` (whether the address exists or not);
    after ``THROTTLE_MAX`` failures in the window, ``THROTTLED`` without checking."""
    now = now or utcnow()
    email = normalize_email(email)[:254]
    if throttled(session, kind="login", ip=ip, email=email, now=now):
        raise AccountRefused(THROTTLED)
    user = _login_user(session, email) if email else None
    stored = user.password_hash if user is not None and not user.disabled else None
    try:
        ok = _hasher.verify(stored or _DUMMY_HASH, password[:MAX_PASSWORD]) and bool(stored)
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok or user is None:
        record_attempt(session, kind="login", ip=ip, email=email, now=now)
        raise AccountRefused(WRONG_LOGIN)
    assert stored is not None
    if _hasher.check_needs_rehash(stored):
        user.password_hash = _hasher.hash(password)
    forget_attempts(session, kind="login", email=email)
    return user


def create_login(
    session: Session,
    *,
    email: str,
    password: str,
    role: str,
    school_code: str | None = None,
    family_id: str | None = None,
) -> User:
    """A user who can log in at once (the demo's logins, seeding): created for that role
    and school or family, or the existing one of that address given this password."""
    email = check_email(email)
    check_password(password)
    user = _login_user(session, email)
    if user is None:
        create_user(session, role=role, email=email, school_code=school_code, family_id=family_id)
        user = _login_user(session, email)
        assert user is not None
    elif user.role != role or (
        user.family_id != family_id
        if role == "parent"
        else user.school_id != require_school(session, code=school_code or "").id
    ):
        raise AccountRefused(f"l'adresse {email} est déjà celle d'un autre compte", "email")
    _set_password(session, user, password, utcnow())
    return user
