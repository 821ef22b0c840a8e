"""Stations and users, and who a bearer token belongs to.

Tokens are shown once and stored as a digest. A station token can be revoked or rotated
(a new one replaces it at once); a user token expires (``DEFAULT_USER_TOKEN_DAYS``) and
can be revoked. A revoked token's digest is replaced by the digest of a random token
nobody was shown, so the unique index never sees it again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cantine_contract.offline_export import public_key as export_public_key
from portal_sync_api.core.security import hash_token, new_token
from portal_sync_api.crud.ledger import now_iso
from portal_sync_api.crud.schools import get_school, require_school
from portal_sync_api.errors import DataError
from portal_sync_api.models import Child, Family, School, Station, User, UserSchool

#: ``collectivite``: an administrator of several schools (a collectivité running several
#: school restaurants), who sees each of them as its intendance does.
ROLES = ("intendance", "parent", "collectivite")

#: Lifetime of a new user token (``user create --expires-days`` changes it). Tokens made
#: before expiries existed have none.
DEFAULT_USER_TOKEN_DAYS = 365


def create_station(session: Session, *, school_code: str, name: str) -> str:
    """Register a station of a school; returns its token (only the digest is stored)."""
    school = require_school(session, code=school_code)
    if not name.strip():
        raise DataError("name", "nom de station vide")
    exists = session.execute(
        select(Station.id).where(Station.school_id == school.id, Station.name == name)
    ).first()
    if exists:
        raise DataError(
            "name",
            f"la station {name} existe déjà pour l'école {school_code}; pour lui donner un "
            f"nouveau jeton : portal-sync-api station rotate --school {school_code} --name {name}",
        )
    token = new_token("st")
    session.add(
        Station(
            school_id=school.id,
            name=name,
            token_hash=hash_token(token),
            created_at=now_iso(),
            export_key=export_public_key(token),
        )
    )
    session.flush()
    return token


def _station(session: Session, *, school_code: str, name: str) -> Station:
    school = require_school(session, code=school_code)
    station = session.execute(
        select(Station).where(Station.school_id == school.id, Station.name == name)
    ).scalar_one_or_none()
    if station is None:
        raise DataError("name", f"station inconnue pour l'école {school_code}: {name}")
    return station


def revoke_station(session: Session, *, school_code: str, name: str) -> None:
    """Make the station's token useless at once (a stolen or lost station)."""
    station = _station(session, school_code=school_code, name=name)
    station.token_hash = hash_token(new_token("revoked"))
    station.export_key = None
    station.revoked_at = now_iso()


def rotate_station(session: Session, *, school_code: str, name: str) -> str:
    """Give the station a new token (returned, shown once); the old one stops working."""
    station = _station(session, school_code=school_code, name=name)
    token = new_token("st")
    station.token_hash = hash_token(token)
    station.export_key = export_public_key(token)
    station.revoked_at = None
    return token


def revoke_user(session: Session, *, email: str) -> int:
    """Make the API tokens of the user(s) of ``email`` useless; returns how many."""
    users = (
        session.execute(select(User).where(func.lower(User.email) == email.strip().lower()))
        .scalars()
        .all()
    )
    if not users:
        raise DataError("email", f"aucun utilisateur avec l'adresse {email}")
    for user in users:
        user.token_hash = hash_token(new_token("revoked"))
        user.token_revoked_at = now_iso()
    return len(users)


def create_user(
    session: Session,
    *,
    role: str,
    email: str,
    school_code: str | None = None,
    family_key: str | None = None,
    token_days: int = DEFAULT_USER_TOKEN_DAYS,
    school_codes: Sequence[str] = (),
) -> str:
    """Register an intendance user (needs a school), a parent (needs a family, by its
    internal key: see :func:`~portal_sync_api.crud.refs.family_by_ref`) or a collectivité
    administrator (needs its schools: ``school_codes``, plus ``school_code`` if given);
    one user per e-mail address (compared without case). The token expires in
    ``token_days``."""
    if role not in ROLES:
        raise DataError("role", f"doit être {' | '.join(ROLES)}")
    if "@" not in email:
        raise DataError("email", f"adresse invalide: {email!r}")
    if token_days < 1:
        raise DataError("expires_days", "durée de validité du jeton : au moins 1 jour")
    taken = session.execute(
        select(User.id).where(func.lower(User.email) == email.strip().lower()).limit(1)
    ).first()
    if taken:
        raise DataError("email", f"un utilisateur existe déjà avec l'adresse {email}")
    expires = datetime.now(UTC) + timedelta(days=token_days)
    user = User(
        email=email,
        role=role,
        token_hash="",
        created_at=now_iso(),
        token_expires_at=expires.isoformat(timespec="seconds"),
    )
    if role == "collectivite":
        codes = list(dict.fromkeys([*([school_code] if school_code else []), *school_codes]))
        if not codes:
            raise DataError("school", "--school (une ou plusieurs) est requis pour ce rôle")
        schools = [require_school(session, code=code) for code in codes]
        token = new_token("us")
        user.token_hash = hash_token(token)
        session.add(user)
        session.flush()
        for position, school in enumerate(schools):
            session.add(UserSchool(user_id=user.id, school_id=school.id, position=position))
        session.flush()
        return token
    if role == "intendance":
        if not school_code:
            raise DataError("school", "--school est requis pour le rôle intendance")
        user.school_id = require_school(session, code=school_code).id
    else:
        if not family_key:
            raise DataError("family", "--family est requis pour le rôle parent")
        if session.get(Family, family_key) is None:
            raise DataError("family", "famille inconnue")
        user.family_id = family_key
    token = new_token("us")
    user.token_hash = hash_token(token)
    session.add(user)
    session.flush()
    return token


@dataclass(frozen=True)
class Principal:
    """Who is calling: a station (of a school) or a user (intendance or parent).

    A collectivité administrator's token is an ``intendance`` principal of several
    schools: ``school_id`` is ``None`` and ``school_ids`` holds them; it sees each of them
    as their intendance does (on the web pages, one at a time: ``school_id`` is the school
    chosen in « Établissement »)."""

    kind: str  # "station" | "intendance" | "parent"
    school_id: int | None
    family_id: str | None
    station: Station | None = None
    #: The schools of a collectivité administrator's token (else empty).
    school_ids: frozenset[int] = frozenset()
    #: The user behind a user principal (who the audit log names). Not part of what the
    #: principal sees: two principals with the same visibility compare equal.
    user_id: int | None = field(default=None, compare=False)
    email: str | None = field(default=None, compare=False)

    @property
    def schools(self) -> frozenset[int]:
        """The schools this principal is the intendance of (none for parents, stations)."""
        if self.kind != "intendance":
            return frozenset()
        own = frozenset() if self.school_id is None else frozenset({self.school_id})
        return own | self.school_ids


def user_schools(session: Session, *, user_id: int) -> list[School]:
    """The schools of a collectivité administrator, in the order given at its creation."""
    query = (
        select(School)
        .join(UserSchool, UserSchool.school_id == School.id)
        .where(UserSchool.user_id == user_id)
        .order_by(UserSchool.position, School.code)
    )
    return list(session.execute(query).scalars())


def principal_for(session: Session, *, token: str) -> Principal | None:
    """The owner of ``token``, or ``None`` when the token is unknown."""
    digest = hash_token(token)
    station = session.execute(
        select(Station).where(Station.token_hash == digest, Station.revoked_at.is_(None))
    ).scalar_one_or_none()
    if station is not None:
        if station.export_key is None:
            # A station registered before offline exports were signed with Ed25519: its
            # token is in hand now, once, to learn the key that verifies its exports.
            station.export_key = export_public_key(token)
        return Principal(
            kind="station", school_id=station.school_id, family_id=None, station=station
        )
    user = session.execute(
        select(User).where(User.token_hash == digest, User.token_revoked_at.is_(None))
    ).scalar_one_or_none()
    if user is None or _expired(user.token_expires_at):
        return None
    if user.role == "collectivite":
        return Principal(
            kind="intendance",
            school_id=None,
            family_id=None,
            school_ids=frozenset(s.id for s in user_schools(session, user_id=user.id)),
            user_id=user.id,
            email=user.email,
        )
    return Principal(
        kind=user.role,
        school_id=user.school_id,
        family_id=user.family_id,
        user_id=user.id,
        email=user.email,
    )


def _expired(expires_at: str | None) -> bool:
    return expires_at is not None and datetime.fromisoformat(expires_at) <= datetime.now(UTC)


# What a user may see (docs/design.md §5: a token sees only its own school / family). Anything
# else is answered exactly like something missing, so these return None / False for both.


def visible_child(session: Session, principal: Principal, *, child_id: str) -> Child | None:
    """The child with the school's id ``child_id`` among those ``principal`` sees: the
    children of a parent's family, or of an intendance's school (docs/design.md §7). An
    id present in two schools of a collectivité administrator is not found (ambiguous)."""
    query = select(Child).where(Child.ref == child_id)
    if principal.kind == "parent" and principal.family_id is not None:
        query = query.where(Child.family_id == principal.family_id)
    elif principal.kind == "intendance" and principal.schools:
        query = query.where(Child.school_id.in_(principal.schools))
        found = session.execute(query.order_by(Child.id).limit(2)).scalars().all()
        return found[0] if len(found) == 1 else None
    else:
        return None
    return session.execute(query.order_by(Child.id).limit(1)).scalar_one_or_none()


def sees_child(principal: Principal, child: Child) -> bool:
    """Whether ``principal`` is a parent of ``child`` or the intendance of its school."""
    if principal.kind == "parent":
        return child.family_id is not None and child.family_id == principal.family_id
    return principal.kind == "intendance" and child.school_id in principal.schools


def visible_family(session: Session, principal: Principal, *, family_id: str) -> Family | None:
    """The family with the school's id ``family_id`` that ``principal`` sees: a parent's
    own, or a family of the intendance's school."""
    if principal.kind == "parent" and principal.family_id is not None:
        family = session.get(Family, principal.family_id)
        return family if family is not None and family.ref == family_id else None
    if principal.kind != "intendance" or not principal.schools:
        return None
    query = select(Family).where(Family.school_id.in_(principal.schools), Family.ref == family_id)
    found = session.execute(query.limit(2)).scalars().all()
    return found[0] if len(found) == 1 else None


def sees_family(session: Session, principal: Principal, *, family_key: str) -> bool:
    """Whether the family of internal key ``family_key`` exists and ``principal`` is its
    parent or the intendance of a school where one of its children is."""
    if session.get(Family, family_key) is None:
        return False
    if principal.kind == "parent":
        return principal.family_id == family_key
    if principal.kind != "intendance":
        return False
    one_child = session.execute(
        select(Child.id)
        .where(Child.family_id == family_key, Child.school_id.in_(principal.schools))
        .limit(1)
    ).first()
    return one_child is not None


def visible_school(session: Session, principal: Principal, *, code: str) -> School | None:
    """The school, when ``principal`` is its intendance (or its collectivité's)."""
    school = get_school(session, code=code)
    if school is None or school.id not in principal.schools:
        return None
    return school
