"""The parents' pages: home (last meals, balance), « Situation de mes comptes », a child's
page (record, « signaler un changement », photo), « Ajouter un enfant » and « Réserver »
(a week per child, usual days over a period).

Routes only read forms and pick a page: what is shown and what may be done is decided by
``crud.family_view``, ``crud.photos``, ``crud.change_requests`` and ``crud.logins``. A
child outside the parent's family is the 404 page, exactly like an unknown id.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from portal_sync_api.core.calendar import WEEKDAYS, iso_week
from portal_sync_api.crud import logins
from portal_sync_api.crud.bookings import (
    BookingRefused,
    UsualDaysSummary,
    book,
    book_usual_days,
    cancel,
)
from portal_sync_api.crud.change_requests import link_child, signal_change
from portal_sync_api.crud.family_view import (
    booking_week,
    child_card,
    family_accounts,
    family_home,
    usual_days_summary,
)
from portal_sync_api.crud.passes import DayPass, todays_pass
from portal_sync_api.crud.photos import (
    MAX_PHOTO_BYTES,
    ChildNotVisible,
    PhotoRefused,
    delete_photo,
    save_photo,
    visible_photo,
)
from portal_sync_api.crud.web_sessions import Person
from portal_sync_api.errors import DataError
from portal_sync_api.web.deps import (
    CsrfChecked,
    CurrentParent,
    CurrentPerson,
    SessionDep,
    client_ip,
    now,
)
from portal_sync_api.web.errors import WebError
from portal_sync_api.web.format import long_date, register
from portal_sync_api.web.qr import qr_svg
from portal_sync_api.web.render import environment, flash, render
from portal_sync_api.web.routes.notices import accounts_extras

router = APIRouter()
register(environment)

HOME = "/famille"
ADD_CHILD = "/famille/ajouter-un-enfant"
#: Meals listed on a child's own page (the home page lists fewer).
CHILD_PAGE_MEALS = 10
TextField = Annotated[str, Form()]


def _child_url(child_id: str) -> str:
    return f"/famille/enfants/{child_id}"


async def photo_form(request: Request) -> FormData:
    """The upload form, parsed once (one file at most; the body limit middleware already
    refused anything over 10 MB and its form)."""
    return await request.form(max_files=1, max_fields=8)


PhotoForm = Annotated[FormData, Depends(photo_form)]


@router.get(HOME)
def home(request: Request, session: SessionDep, person: CurrentParent) -> Response:
    """Each child with its last meals, the family balance, a warning when it is low."""
    assert person.family_id is not None  # CurrentParent guarantees it
    with session.begin():
        view = family_home(session, person.principal, family_id=person.family_id)
    if view is None:
        raise WebError(404)
    return render(request, "famille/accueil.html", {"home": view})


@router.get("/famille/comptes")
def accounts(request: Request, session: SessionDep, person: CurrentParent) -> Response:
    """« Situation de mes comptes »: balance, ledger with running balance, the balance
    after the meals already booked, the minimum top-up (payment comes later)."""
    assert person.family_id is not None
    with session.begin():
        view = family_accounts(session, person.principal, family_id=person.family_id)
        extras = accounts_extras(session, family_id=person.family_id) if view else {}
    if view is None:
        raise WebError(404)
    return render(request, "famille/comptes.html", {"accounts": view, **extras})


def _child_page(
    request: Request,
    session: Session,
    person: Person,
    child_id: str,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    with session.begin():
        child = child_card(session, person.principal, child_id=child_id, meals=CHILD_PAGE_MEALS)
        if child is None:
            raise WebError(404)
        photo = visible_photo(session, person.principal, child_id=child_id)
        photo_info = (
            None
            if photo is None
            else {"sha": photo.sha256[:16], "by": photo.consent_email, "at": photo.consent_at}
        )
        day_pass = todays_pass(session, person.principal, child_id=child_id, now=now(request))
    context: dict[str, Any] = {
        "child": child,
        "day_pass": None if day_pass is None else {"pass": day_pass, "svg": _pass_svg(day_pass)},
        "photo": photo_info,
        "errors": errors or {},
        "values": values or {},
        "max_photo_mb": MAX_PHOTO_BYTES // (1024 * 1024),
    }
    return render(request, "famille/enfant.html", context, status=status)


def _pass_svg(day_pass: DayPass) -> Markup:
    """The pass's QR code, named for screen readers with whose card and which day."""
    label = (
        f"QR code du passe du jour de {day_pass.first_name}, carte {day_pass.card_code}, "
        f"valable le {long_date(day_pass.day)}"
    )
    return qr_svg(day_pass.payload, label)


@router.get("/famille/enfants/{child_id}")
def child_page(
    request: Request, session: SessionDep, person: CurrentParent, child_id: str
) -> Response:
    """A child's record as the school keeps it (read-only), today's pass (a QR code the
    line reads when the card is forgotten), its last meals, its photo."""
    return _child_page(request, session, person, child_id)


@router.post("/famille/enfants/{child_id}/changement")
def report_change(
    request: Request,
    session: SessionDep,
    person: CurrentParent,
    _csrf: CsrfChecked,
    child_id: str,
    message: TextField = "",
) -> Response:
    """Send the intendance a message about the child's record (stored and e-mailed)."""
    try:
        with session.begin():
            signal_change(
                session,
                person.principal,
                child_id=child_id,
                user_id=person.user_id,
                email=person.email,
                message=message,
                now=now(request),
            )
    except ChildNotVisible:
        raise WebError(404) from None
    except DataError as refused:
        return _child_page(
            request,
            session,
            person,
            child_id,
            errors={"message": refused.problem},
            values={"message": message},
            status=422,
        )
    done = "Votre message a été transmis à l'intendance."
    return flash(request, RedirectResponse(_child_url(child_id), status_code=303), done)


@router.post("/famille/enfants/{child_id}/photo")
async def upload_photo(
    request: Request,
    session: SessionDep,
    person: CurrentParent,
    form: PhotoForm,
    _csrf: CsrfChecked,
    child_id: str,
) -> Response:
    """Store the child's photo (re-encoded 256×256 JPEG) when the consent box is ticked."""
    upload = form.get("photo")
    data = b""
    if isinstance(upload, UploadFile):
        # One byte more than allowed is enough to know it is too big.
        data = await upload.read(MAX_PHOTO_BYTES + 1)
    consent = form.get("consent") == "oui"
    try:
        # Pillow's decoding is CPU work: off the event loop, with the database work.
        await run_in_threadpool(_store_photo, session, person, child_id, data, consent, request)
    except ChildNotVisible:
        raise WebError(404) from None
    except PhotoRefused as refused:
        return await run_in_threadpool(
            _child_page,
            request,
            session,
            person,
            child_id,
            errors={refused.field: refused.message},
            status=422,
        )
    done = "La photo a été enregistrée."
    return flash(request, RedirectResponse(_child_url(child_id), status_code=303), done)


def _store_photo(
    session: Session,
    person: Person,
    child_id: str,
    data: bytes,
    consent: bool,
    request: Request,
) -> None:
    with session.begin():
        save_photo(
            session,
            person.principal,
            child_id=child_id,
            user_id=person.user_id,
            email=person.email,
            data=data,
            consent=consent,
            now=now(request),
        )


@router.post("/famille/enfants/{child_id}/photo/supprimer")
def remove_photo(
    request: Request,
    session: SessionDep,
    person: CurrentParent,
    _csrf: CsrfChecked,
    child_id: str,
) -> Response:
    """Delete the child's photo."""
    try:
        with session.begin():
            deleted = delete_photo(session, person.principal, child_id=child_id)
    except ChildNotVisible:
        raise WebError(404) from None
    done = "La photo a été supprimée." if deleted else "Il n'y avait pas de photo à supprimer."
    return flash(request, RedirectResponse(_child_url(child_id), status_code=303), done)


@router.get("/famille/enfants/{child_id}/photo")
def photo(session: SessionDep, person: CurrentPerson, child_id: str) -> Response:
    """The photo itself, for the child's family and its school's intendance; never kept
    in a cache (a shared computer must not show it to the next person)."""
    with session.begin():
        found = visible_photo(session, person.principal, child_id=child_id)
        jpeg = None if found is None else bytes(found.jpeg)
    if jpeg is None:
        raise WebError(404)
    headers = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}
    return Response(jpeg, media_type="image/jpeg", headers=headers)


@router.get(ADD_CHILD)
def add_child_page(request: Request, person: CurrentParent) -> Response:
    """« Ajouter un enfant »: the same fields as the sign-up, for the logged-in parent."""
    return render(request, "famille/ajouter_enfant.html", {"values": {}})


@router.post(ADD_CHILD)
def add_child(
    request: Request,
    session: SessionDep,
    person: CurrentParent,
    _csrf: CsrfChecked,
    card_digits: TextField = "",
    last_name: TextField = "",
    first_name: TextField = "",
) -> Response:
    """A pending request, in the parent's name, for the intendance to validate."""
    refused: logins.AccountRefused | None = None
    with session.begin():
        try:
            link_child(
                session,
                person.principal,
                email=person.email,
                card_digits=card_digits,
                last_name=last_name,
                first_name=first_name,
                ip=client_ip(request),
                now=now(request),
            )
        except logins.AccountRefused as exc:
            refused = exc
    if refused is not None:
        values = {"card_digits": card_digits, "last_name": last_name, "first_name": first_name}
        status = 429 if refused.message == logins.THROTTLED else 422
        context = {"values": values, "error": refused.message}
        return render(request, "famille/ajouter_enfant.html", context, status=status)
    done = (
        "Demande envoyée : l'intendance doit la valider. Vous recevrez un e-mail, "
        "puis l'enfant apparaîtra dans votre espace."
    )
    return flash(request, RedirectResponse(HOME, status_code=303), done)


# -- reservations -------------------------------------------------------------------------

RESERVATIONS = "/famille/reservations"


def _reservations_url(child_id: str, week: str) -> str:
    return f"{RESERVATIONS}?{urlencode({'enfant': child_id, 'semaine': week})}"


@router.get(RESERVATIONS)
def reservations(
    request: Request,
    session: SessionDep,
    person: CurrentParent,
    enfant: str | None = None,
    semaine: str | None = None,
) -> Response:
    """« Réserver » a week at a time for one child: each school day booked, not booked or
    not bookable (and why), « Je réserve » / « Annuler », the cutoff rule in words, usual
    days over a period, the estimated balance."""
    assert person.family_id is not None
    with session.begin():
        view = booking_week(
            session,
            person.principal,
            family_id=person.family_id,
            child_id=enfant,
            week=semaine,
            now=now(request),
        )
    if view is None:
        raise WebError(404)
    return render(request, "famille/reservations.html", {"view": view, "weekdays": WEEKDAYS})


@router.post(f"{RESERVATIONS}/reserver")
def book_meal(
    request: Request,
    session: SessionDep,
    person: CurrentParent,
    _csrf: CsrfChecked,
    enfant: TextField = "",
    jour: TextField = "",
    service: TextField = "",
    semaine: TextField = "",
) -> Response:
    """« Je réserve » for one day (a double click books once)."""
    return _booking_action(request, session, person, enfant, jour, service, semaine, book)


@router.post(f"{RESERVATIONS}/annuler")
def cancel_meal(
    request: Request,
    session: SessionDep,
    person: CurrentParent,
    _csrf: CsrfChecked,
    enfant: TextField = "",
    jour: TextField = "",
    service: TextField = "",
    semaine: TextField = "",
) -> Response:
    """« Annuler » one booked day (a prepaid booking is refunded)."""
    return _booking_action(request, session, person, enfant, jour, service, semaine, cancel)


def _booking_action(
    request: Request,
    session: Session,
    person: Person,
    child_id: str,
    day_text: str,
    service: str,
    week: str,
    action: Any,
) -> Response:
    try:
        day = date.fromisoformat(day_text)
    except ValueError:
        raise WebError(404) from None
    try:
        with session.begin():
            done = action(
                session,
                person.principal,
                child_id=child_id,
                day=day,
                service=service,
                actor=person.email,
                **({"user_id": person.user_id} if action is book else {}),
                now=now(request),
            )
    except BookingRefused as refusal:
        if refusal.error == "not_found":
            raise WebError(404) from None
        message = refusal.message
    else:
        what = "réservé" if action is book else "annulé"
        message = f"Repas du {long_date(day)} {what}."
        if not done.changed:
            message = f"Repas du {long_date(day)} déjà {what}."
    target = _reservations_url(child_id, week or iso_week(day))
    return flash(request, RedirectResponse(target, status_code=303), message)


@router.post(f"{RESERVATIONS}/jours-habituels")
async def usual_days(
    request: Request, session: SessionDep, person: CurrentParent, _csrf: CsrfChecked
) -> Response:
    """Book the chosen weekdays over a period in one step (families say « jours de
    fréquentation »); the summary says what was booked, skipped and refused."""
    form = await request.form(max_fields=20)
    child_id = str(form.get("enfant", ""))
    week = str(form.get("semaine", ""))
    weekdays = {int(str(d)) for d in form.getlist("jour") if str(d) in ("1", "2", "3", "4", "5")}
    try:
        start = date.fromisoformat(str(form.get("du", "")))
        end = date.fromisoformat(str(form.get("au", "")))
    except ValueError:
        message = "Indiquez les dates de début et de fin (jj/mm/aaaa)."
        return flash(request, RedirectResponse(_reservations_url(child_id, week), 303), message)
    if not weekdays:
        message = "Cochez au moins un jour de la semaine."
        return flash(request, RedirectResponse(_reservations_url(child_id, week), 303), message)
    try:
        summary = await run_in_threadpool(
            _book_usual_days, session, person, child_id, weekdays, start, end, now(request)
        )
    except BookingRefused as refusal:
        if refusal.error == "not_found":
            raise WebError(404) from None
        message = refusal.message
    else:
        message = usual_days_summary(summary)
    return flash(request, RedirectResponse(_reservations_url(child_id, week), 303), message)


def _book_usual_days(
    session: Session,
    person: Person,
    child_id: str,
    weekdays: set[int],
    start: date,
    end: date,
    at: datetime,
) -> UsualDaysSummary:
    with session.begin():
        return book_usual_days(
            session,
            person.principal,
            child_id=child_id,
            weekdays=weekdays,
            start=start,
            end=end,
            service="dejeuner",
            actor=person.email,
            user_id=person.user_id,
            now=at,
        )
