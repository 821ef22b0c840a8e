"""The parents' choice of the low-balance notice, and what « Situation de mes comptes »
shows of the family's tariff (its quotient familial) and of its notices."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from portal_sync_api.crud.notices import low_balance_notice_on, set_low_balance_notice
from portal_sync_api.crud.tariffs_qf import family_tariff
from portal_sync_api.models import Family, School
from portal_sync_api.web.deps import CsrfChecked, CurrentParent, SessionDep
from portal_sync_api.web.render import flash

router = APIRouter()

ACCOUNTS = "/famille/comptes"
NOTICE_PATH = "/famille/comptes/avis"


def accounts_extras(session: Session, *, family_id: str) -> dict[str, Any]:
    """What ``famille/comptes.html`` shows besides the ledger: ``tarif_famille`` (the
    family's tariff today, or ``None``), ``avis_solde_bas`` (the low-balance notice is
    on) and ``seuil_solde_cents`` (the school's threshold)."""
    family = session.get(Family, family_id)
    school = session.get(School, family.school_id) if family and family.school_id else None
    return {
        "tarif_famille": family_tariff(session, family=family) if family else None,
        "avis_solde_bas": low_balance_notice_on(session, family_id=family_id),
        "seuil_solde_cents": school.low_balance_threshold_cents if school else None,
    }


@router.post(NOTICE_PATH)
def save_notice_choice(
    request: Request,
    session: SessionDep,
    person: CurrentParent,
    _csrf: CsrfChecked,
    avis_solde_bas: Annotated[str, Form()] = "",
) -> Response:
    """« Me prévenir quand le solde passe sous … »: an unchecked box turns it off."""
    assert person.family_id is not None  # CurrentParent guarantees it
    enabled = avis_solde_bas == "oui"
    with session.begin():
        set_low_balance_notice(session, family_id=person.family_id, enabled=enabled)
    done = (
        "C'est noté : vous serez prévenu par e-mail quand le solde passera sous le seuil."
        if enabled
        else "C'est noté : vous ne recevrez plus d'e-mail quand le solde passera sous le seuil."
    )
    return flash(request, RedirectResponse(ACCOUNTS, status_code=303), done)
