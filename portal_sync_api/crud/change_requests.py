"""What a logged-in parent asks of the intendance: « signaler un changement » (something
in a child's record — class, diet, allergies, card — is out of date: the record itself is
only changed by the school; the message is stored and e-mailed to the school's intendance
users) and « ajouter un enfant » (a sign-up request for another card, in their name)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal_sync_api.crud import logins
from portal_sync_api.crud.accounts import Principal, sees_child, visible_child
from portal_sync_api.crud.family_tables import ChangeRequest
from portal_sync_api.crud.photos import ChildNotVisible
from portal_sync_api.errors import DataError
from portal_sync_api.mail.outbox import queue_mail
from portal_sync_api.models import AccountRequest, Child, User

#: Longest message accepted (a paragraph, not a file).
MAX_MESSAGE = 2000
EMPTY = "Écrivez ce qui a changé : aucun message n'a été envoyé."
TOO_LONG = f"Le message dépasse {MAX_MESSAGE} caractères : raccourcissez-le."
ALREADY_LINKED = "Cet enfant apparaît déjà dans votre espace : aucune demande n'a été envoyée."


def signal_change(
    session: Session,
    principal: Principal,
    *,
    child_id: str,
    user_id: int,
    email: str,
    message: str,
    now: datetime | None = None,
) -> ChangeRequest:
    """Store a parent's message about their child and queue it by e-mail to each
    intendance user of the child's school. :class:`ChildNotVisible` outside the parent's
    family; ``DataError("message", …)`` (French) for an empty or too long message."""
    child = visible_child(session, principal, child_id=child_id)
    if child is None or principal.kind != "parent":
        raise ChildNotVisible(child_id)
    text = message.replace("\r\n", "\n").replace("\x00", "").strip()
    if not text:
        raise DataError("message", EMPTY)
    if len(text) > MAX_MESSAGE:
        raise DataError("message", TOO_LONG)
    request = ChangeRequest(
        child_id=child.id,
        school_id=child.school_id,
        user_id=user_id,
        email=email,
        message=text,
        created_at=(now or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds"),
    )
    session.add(request)
    recipients = sorted(
        set(
            session.execute(
                select(User.email).where(
                    User.role == "intendance", User.school_id == child.school_id
                )
            ).scalars()
        )
    )
    for address in recipients:
        queue_mail(
            session,
            to=address,
            subject=f"Changement signalé pour {child.first_name} {child.last_name}",
            template="child_change_request",
            context={
                "child_name": f"{child.first_name} {child.last_name}",
                "class_name": child.class_name,
                "parent_email": email,
                "message": text,
            },
        )
    session.flush()
    return request


def link_child(
    session: Session,
    principal: Principal,
    *,
    email: str,
    card_digits: str,
    last_name: str,
    first_name: str,
    ip: str,
    now: datetime | None = None,
) -> list[AccountRequest]:
    """A pending sign-up request in the parent's name for the pupil of that card and those
    names (``logins.request_account``: same matching, same throttle, same refusals).
    No request is kept for a pupil the parent already sees (validating it would change
    nothing); when that leaves none, ``ALREADY_LINKED``."""
    requests = logins.request_account(
        session,
        card_digits=card_digits,
        last_name=last_name,
        first_name=first_name,
        email=email,
        ip=ip,
        now=now,
    )
    kept = []
    for request in requests:
        if not sees_child(principal, session.get_one(Child, request.child_id)):
            kept.append(request)
        else:
            session.delete(request)
    session.flush()
    if not kept:
        raise logins.AccountRefused(ALREADY_LINKED)
    return kept
