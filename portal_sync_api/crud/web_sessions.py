"""Web sessions of the people who log in, and the throttle of failed attempts.

Business rules only (no HTTP): the cookie holds a random session id, the table its
digest; a session ends after 30 minutes without a request, 12 hours after the login, or
when its user's password changes. Failed logins, sign-ups and reset requests are counted
per address and per IP over 15 minutes.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from portal_sync_api.core.security import hash_token
from portal_sync_api.crud.accounts import Principal
from portal_sync_api.models import Child, LoginAttempt, School, User, WebSession

#: A session unused for this long is over (the person logs in again).
SESSION_IDLE = timedelta(minutes=30)
#: A session is over this long after its login, however busy.
SESSION_ABSOLUTE = timedelta(hours=12)
#: Failed attempts counted per address and per IP over this window...
THROTTLE_WINDOW = timedelta(minutes=15)
#: ...and how many are allowed before the answer is « Trop de tentatives ».
THROTTLE_MAX = 10
#: The message of a throttled login, sign-up or reset request.
THROTTLED = "Trop de tentatives. Réessayez dans 15 minutes."
#: Last-seen updates closer together than this are skipped (one write per minute, not per
#: request); far below the idle limit, so the expiry stays exact to the minute.
TOUCH_EVERY = timedelta(seconds=60)


def utcnow() -> datetime:
    """The current instant (the default clock of every function here)."""
    return datetime.now(UTC)


def iso(instant: datetime) -> str:
    """``instant`` as the ISO-8601 UTC text stored in the tables (sortable as text)."""
    return instant.astimezone(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Person:
    """A logged-in person, as the web pages see them.

    ``principal`` has exactly the visibility of an API token of the same user: a parent
    sees their family, the intendance their school (rules of ``crud.accounts``).
    """

    user_id: int
    email: str
    role: str  # "parent" | "intendance"
    school_id: int | None
    family_id: str | None
    csrf_secret: str
    school_name: str | None

    @property
    def principal(self) -> Principal:
        """The ``crud.accounts`` principal of this person."""
        return Principal(
            kind=self.role,
            school_id=self.school_id,
            family_id=self.family_id,
            user_id=self.user_id,
            email=self.email,
        )


# -- sessions ------------------------------------------------------------------------------


def start_session(session: Session, *, user: User, now: datetime | None = None) -> str:
    """Open a web session for ``user``; returns the id to put in the cookie. Sessions
    and failed attempts that no longer count are deleted on the way (tables stay small)."""
    now = now or utcnow()
    purge(session, now=now)
    raw = secrets.token_urlsafe(32)
    session.add(
        WebSession(
            id_hash=hash_token(raw),
            user_id=user.id,
            csrf_secret=secrets.token_urlsafe(32),
            created_at=iso(now),
            last_seen_at=iso(now),
        )
    )
    session.flush()
    return raw


def purge(session: Session, *, now: datetime) -> None:
    """Delete expired sessions and attempts older than the throttle window."""
    session.execute(
        delete(WebSession).where(
            (WebSession.last_seen_at <= iso(now - SESSION_IDLE))
            | (WebSession.created_at <= iso(now - SESSION_ABSOLUTE))
        )
    )
    session.execute(delete(LoginAttempt).where(LoginAttempt.at <= iso(now - THROTTLE_WINDOW)))


def lookup_session(
    session: Session, *, session_id: str, now: datetime | None = None
) -> Person | None:
    """The person of a live session, its last-seen time touched; ``None`` (and the row
    deleted) when the session is unknown, idle too long, too old or its user disabled."""
    now = now or utcnow()
    if not session_id or len(session_id) > 128:
        return None
    row = session.get(WebSession, hash_token(session_id))
    if row is None:
        return None
    user = session.get(User, row.user_id)
    expired = (
        row.last_seen_at <= iso(now - SESSION_IDLE)
        or row.created_at <= iso(now - SESSION_ABSOLUTE)
        or user is None
        or user.disabled
        or user.password_hash is None
    )
    if expired or user is None:
        session.delete(row)
        session.flush()
        return None
    if row.last_seen_at <= iso(now - TOUCH_EVERY):
        row.last_seen_at = iso(now)
    return Person(
        user_id=user.id,
        email=user.email,
        role=user.role,
        school_id=user.school_id,
        family_id=user.family_id,
        csrf_secret=row.csrf_secret,
        school_name=_school_name(session, user),
    )


def _school_name(session: Session, user: User) -> str | None:
    if user.school_id is not None:
        return session.execute(select(School.name).where(School.id == user.school_id)).scalar()
    if user.family_id is None:
        return None
    return session.execute(
        select(School.name)
        .join(Child, Child.school_id == School.id)
        .where(Child.family_id == user.family_id)
        .order_by(School.name)
        .limit(1)
    ).scalar()


def end_session(session: Session, *, session_id: str) -> None:
    """Log out: the session id is forgotten (unknown ids are ignored)."""
    session.execute(delete(WebSession).where(WebSession.id_hash == hash_token(session_id)))


def end_user_sessions(session: Session, *, user_id: int) -> int:
    """End every session of a user (the password changed); returns how many ended."""
    result = session.execute(delete(WebSession).where(WebSession.user_id == user_id))
    return int(getattr(result, "rowcount", 0) or 0)


# -- throttle ------------------------------------------------------------------------------


def throttled(
    session: Session, *, kind: str, ip: str, email: str | None = None, now: datetime | None = None
) -> bool:
    """Whether ``THROTTLE_MAX`` attempts of ``kind`` already failed within the window,
    from this IP or (when given) for this address."""
    since = iso((now or utcnow()) - THROTTLE_WINDOW)
    recent = select(func.count()).where(LoginAttempt.kind == kind, LoginAttempt.at > since)
    by_ip = session.execute(recent.where(LoginAttempt.ip == ip)).scalar_one()
    if by_ip >= THROTTLE_MAX:
        return True
    if email is None:
        return False
    return session.execute(recent.where(LoginAttempt.email == email)).scalar_one() >= THROTTLE_MAX


def record_attempt(
    session: Session, *, kind: str, ip: str, email: str | None = None, now: datetime | None = None
) -> None:
    """Count one failed attempt (or, for resets, one request) of ``kind``."""
    session.add(LoginAttempt(kind=kind, ip=ip[:64], email=email, at=iso(now or utcnow())))
    session.flush()


def forget_attempts(session: Session, *, kind: str, email: str) -> None:
    """A successful login clears the failures counted against its address (not its IP's:
    one's own account must not reset the count of a guessing IP)."""
    session.execute(
        delete(LoginAttempt).where(LoginAttempt.kind == kind, LoginAttempt.email == email)
    )
