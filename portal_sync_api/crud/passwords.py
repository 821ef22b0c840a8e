"""Passwords of the people who log in: password links (single use, 48 h), the password
rule, argon2id hashes, login with throttling, and logins made directly (demo, seeding).

Business rules only (no HTTP); ``crud.logins`` is the module the web pages use.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from portal_sync_api.core.security import hash_token, new_token
from portal_sync_api.crud.accounts import create_user
from portal_sync_api.crud.refs import family_by_ref
from portal_sync_api.crud.schools import require_school
from portal_sync_api.crud.web_sessions import (
    THROTTLED,
    end_user_sessions,
    forget_attempts,
    iso,
    record_attempt,
    throttled,
    utcnow,
)
from portal_sync_api.errors import PortalError
from portal_sync_api.mail.outbox import queue_mail
from portal_sync_api.models import PasswordLink, User

LINK_LIFETIME = timedelta(hours=48)
#: The shortest password accepted (ANSSI's advice for a password alone: 12 and more).
MIN_PASSWORD = 12
MAX_PASSWORD = 256
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
_EMAIL = re.compile(
    r"^[^@\s<>\"'\x00-\x1f\x7f]+@[^@\s<>\"'\x00-\x1f\x7f]+\.[^@\s<>\"'\x00-\x1f\x7f]+$"
)


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


# -- passwords -----------------------------------------------------------------------------


def login_user(session: Session, email: str) -> User | None:
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


def new_link(session: Session, user: User, purpose: str, public_url: str, now: datetime) -> str:
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
    user = login_user(session, email)
    if user is None or user.disabled:
        raise NotFound(f"aucun utilisateur avec l'adresse {normalize_email(email)}")
    purpose = "set_password" if user.password_hash is None else "reset_password"
    return new_link(session, user, purpose, public_url, now or utcnow())


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
    user = login_user(session, email)
    if user is None or user.disabled:
        return
    link = new_link(session, user, "reset_password", public_url, now)
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
    # Whatever was typed is counted, but PostgreSQL text cannot hold NUL.
    email = normalize_email(email).replace("\x00", "")[:254]
    if throttled(session, kind="login", ip=ip, email=email, now=now):
        raise AccountRefused(THROTTLED)
    user = login_user(session, email) if email else None
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
    and school or family (``family_id``: the school's id of the family, in ``school_code``
    when given), or the existing one of that address given this password."""
    email = check_email(email)
    check_password(password)
    family_key = (
        family_by_ref(session, ref=family_id, school_code=school_code).id if family_id else None
    )
    user = login_user(session, email)
    if user is None:
        create_user(session, role=role, email=email, school_code=school_code, family_key=family_key)
        user = login_user(session, email)
        assert user is not None
    elif user.role != role or (
        user.family_id != family_key
        if role == "parent"
        else user.school_id != require_school(session, code=school_code or "").id
    ):
        raise AccountRefused(f"l'adresse {email} est déjà celle d'un autre compte", "email")
    _set_password(session, user, password, utcnow())
    return user
