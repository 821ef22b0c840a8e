"""The intendance's cards: block a lost card, issue a replacement, print.

``crud.cards`` decides; a card or child that is not the school's is the 404 page. The
printed sheets are the station's (``cantine_contract/card_sheet.py``).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from cantine_contract.card_sheet import sheets_pdf
from portal_sync_api.crud.cards import (
    BLOCK_REASONS,
    CardRefused,
    block_card,
    card_faces,
    child_cards,
    issue_card,
    school_classes,
    search_cards,
)
from portal_sync_api.crud.web_sessions import Person
from portal_sync_api.web.deps import CsrfChecked, CurrentIntendance, SessionDep, now
from portal_sync_api.web.errors import WebError
from portal_sync_api.web.render import flash, render
from portal_sync_api.web.routes.intendance_families import school_of

router = APIRouter()

CARDS = "/intendance/cartes"
TextField = Annotated[str, Form()]


def _back(q: str) -> str:
    return f"{CARDS}?{urlencode({'q': q})}" if q else CARDS


def _cards_page(
    request: Request,
    session: Session,
    person: Person,
    q: str,
    *,
    errors: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    with session.begin():
        school = school_of(session, person)
        found = search_cards(session, school=school, query=q) if q.strip() else []
        classes = school_classes(session, school=school)
    context = {
        "q": q,
        "found": found,
        "classes": classes,
        "reasons": BLOCK_REASONS,
        "errors": errors or {},
    }
    return render(request, "intendance/cartes.html", context, status=status)


@router.get(CARDS)
def cards(
    request: Request, session: SessionDep, person: CurrentIntendance, q: str = ""
) -> Response:
    """Find a child or a card; each card with « Bloquer la carte », each child with
    « Émettre une nouvelle carte » and « Imprimer »; print a class or the school."""
    return _cards_page(request, session, person, q[:100])


@router.post(CARDS + "/bloquer")
def block(
    request: Request,
    session: SessionDep,
    person: CurrentIntendance,
    _csrf: CsrfChecked,
    card: TextField = "",
    reason: TextField = "",
    q: TextField = "",
) -> Response:
    """Block a card (perdue, volée, abîmée): the lines refuse it from their next sync."""
    try:
        with session.begin():
            school = school_of(session, person)
            blocked = block_card(
                session,
                school=school,
                code=card,
                reason=reason,
                actor=person.email,
                now=now(request),
            )
            code = blocked.code
    except CardRefused as refused:
        if refused.not_found:
            raise WebError(404) from None
        errors = {"card": card, "field": refused.field, "message": refused.message}
        return _cards_page(request, session, person, q, errors=errors, status=422)
    message = f"Carte {code} bloquée : les postes la refuseront dès leur prochaine synchronisation."
    return flash(request, RedirectResponse(_back(q), status_code=303), message)


@router.post(CARDS + "/nouvelle")
def new_card(
    request: Request,
    session: SessionDep,
    person: CurrentIntendance,
    _csrf: CsrfChecked,
    child: TextField = "",
    q: TextField = "",
) -> Response:
    """Issue a new card number to a child (a card still active is blocked)."""
    try:
        with session.begin():
            school = school_of(session, person)
            card = issue_card(
                session, school=school, child_id=child, actor=person.email, now=now(request)
            )
            code = card.code
    except CardRefused as refused:
        if refused.not_found:
            raise WebError(404) from None
        errors = {"child": child, "field": refused.field, "message": refused.message}
        return _cards_page(request, session, person, q, errors=errors, status=422)
    message = f"Nouvelle carte {code} émise ; imprimez-la avant de la remettre à l'élève."
    return flash(request, RedirectResponse(_back(code), status_code=303), message)


@router.get(CARDS + "/imprimer.pdf")
def print_cards(
    request: Request,
    session: SessionDep,
    person: CurrentIntendance,
    eleve: str | None = None,
    classe: str | None = None,
    tout: str | None = None,
) -> Response:
    """Card sheets (CR80, 10 per A4 page) of one child's active card, a class's, or the
    whole school's (``tout=1``); nothing to print is said on the cards page."""
    with session.begin():
        school = school_of(session, person)
        if eleve is not None:
            if child_cards(session, school=school, child_id=eleve) is None:
                raise WebError(404)
            faces = card_faces(session, school=school, child_id=eleve)
            name = f"carte-{eleve}"
        elif classe:
            faces = card_faces(session, school=school, class_name=classe)
            name = f"cartes-{classe}"
        elif tout:
            faces = card_faces(session, school=school)
            name = f"cartes-{school.code}"
        else:
            faces, name = [], ""
    if not faces:
        message = "Aucune carte active à imprimer pour ce choix."
        return flash(request, RedirectResponse(CARDS, status_code=303), message)
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in name)
    headers = {
        "Content-Disposition": f'inline; filename="{safe}.pdf"',
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
    }
    return Response(sheets_pdf(faces), media_type="application/pdf", headers=headers)
