"""A family's balance and recent ledger lines."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from portal_sync_api.api.deps import CurrentUser, SessionDep, check_path_id
from portal_sync_api.api.errors import ERROR_RESPONSES, not_found
from portal_sync_api.crud.accounts import visible_family
from portal_sync_api.crud.ledger import balances, public_references, recent_entries
from portal_sync_api.schemas import BalancePublic, LedgerEntryPublic

router = APIRouter(prefix="/v1/families", tags=["families"], responses=ERROR_RESPONSES)


@router.get("/{family_id}/balance", response_model=BalancePublic)
def read_balance(
    family_id: str,
    session: SessionDep,
    user: CurrentUser,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> BalancePublic:
    """Balance (the ledger sum) and the latest ledger entries, newest first."""
    check_path_id(family_id, "family_id", "famille")
    family = visible_family(session, user, family_id=family_id)
    if family is None:
        raise not_found("famille", "family_id")
    entries = recent_entries(session, family_id=family.id, limit=limit)
    references = public_references(session, [e.reference for e in entries])
    return BalancePublic(
        family_id=family.ref,
        balance_cents=balances(session, family_ids=[family.id])[family.id],
        entries=[
            LedgerEntryPublic(
                at=e.at, kind=e.kind, amount_cents=e.amount_cents, reference=references[i]
            )
            for i, e in enumerate(entries)
        ],
    )
