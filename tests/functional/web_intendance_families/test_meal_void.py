"""« Annuler ce repas » on a family's page: the meal is voided as a station's void is
applied (the family refunded in the ledger, the changes feed telling the stations), with
an audit row saying who, why, before and after; a missing reason changes nothing."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import select

from cantine_harness.portal import void
from portal_sync_api.core.db import session_scope
from portal_sync_api.models import AuditEntry, LedgerEntry, Meal, Void
from tests.functional.web_intendance_families.test_families import push_meal
from tests.support.family_pages import INTENDANCE, Family

PAGE = "/intendance/familles/F18491"
CANCEL = PAGE + "/repas/m-herve/annuler"
DAY = date(2025, 11, 24)


def _balance(pages: Family) -> int:
    answer = pages.anonymous.client.get(
        "/v1/families/F18491/balance",
        headers={"Authorization": f"Bearer {pages.school.intendance_token}"},
    )
    assert answer.status_code == 200
    return int(answer.json()["balance_cents"])


def _feed(pages: Family) -> list[dict[str, object]]:
    answer = pages.anonymous.client.get(
        "/v1/sync/changes",
        params={"since": 0, "limit": 5000},
        headers={"Authorization": f"Bearer {pages.school.station_token}"},
    )
    assert answer.status_code == 200
    changes: list[dict[str, object]] = answer.json()["changes"]
    return changes


def _counts(pages: Family) -> tuple[int, int, int]:
    with session_scope(pages.engine) as session:
        voids = len(session.execute(select(Void.id)).all())
        audits = len(session.execute(select(AuditEntry.id)).all())
        ledger = len(session.execute(select(LedgerEntry.id)).all())
    return voids, audits, ledger


def test_cancelling_a_meal_refunds_the_family_tells_the_stations_and_is_audited(
    pages: Family,
) -> None:
    push_meal(pages, "C1849-42", "m-herve", 415, DAY)
    assert _balance(pages) == 5000 - 415
    answer = pages.intendance.post(
        CANCEL, {"reason": "mauvais_eleve", "detail": "carte prêtée"}, page=PAGE
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == PAGE
    page = pages.intendance.client.get(PAGE)
    assert "Repas annulé : 4,15\u00a0€ remboursés." in page.text
    assert "<strong>annulé</strong>, remboursé" in page.text

    # The ledger: the refund of exactly the charge, referenced like a station's void.
    assert _balance(pages) == 5000
    with session_scope(pages.engine) as session:
        meal = session.execute(select(Meal).where(Meal.ref == "m-herve")).scalar_one()
        refund = session.execute(
            select(LedgerEntry).where(LedgerEntry.reference == f"void:{meal.id}")
        ).scalar_one()
        assert (refund.kind, refund.amount_cents) == ("void_refund", 415)
        made = session.execute(select(Void).where(Void.meal_id == meal.id)).scalar_one()
        assert made.station_id is None and made.refund_cents == 415
        assert made.reason == "Mauvais élève enregistré : carte prêtée"
        [entry] = session.execute(select(AuditEntry)).scalars().all()
        assert (entry.actor, entry.action, entry.subject) == (
            INTENDANCE,
            "meal_void",
            "child C1849-42",
        )
        detail = json.loads(entry.detail)
    assert detail["before"]["annulé"] is False and detail["before"]["facturé"] == "4,15"
    assert detail["after"]["annulé"] is True and detail["after"]["remboursé"] == "4,15"
    assert detail["after"]["motif"] == "Mauvais élève enregistré : carte prêtée"

    # The feed: the meal voided, and the family's balance after it (a later seq).
    feed = _feed(pages)
    meal_change = next(c for c in feed if c["kind"] == "meal" and c["key"] == "m-herve")
    balance_change = next(c for c in feed if c["kind"] == "balance" and c["key"] == "F18491")
    assert meal_change["data"]["voided"] is True  # type: ignore[index]
    assert balance_change["data"]["balance_cents"] == 5000  # type: ignore[index]
    assert int(balance_change["seq"]) > int(meal_change["seq"])  # type: ignore[call-overload]

    # The API reads it as voided; a station's late void of the same meal is refused.
    meals = pages.anonymous.client.get(
        "/v1/children/C1849-42/meals",
        headers={"Authorization": f"Bearer {pages.school.intendance_token}"},
    ).json()["meals"]
    assert [m["voided"] for m in meals if m["meal_id"] == "m-herve"] == [True]
    late = pages.anonymous.client.post(
        "/v1/sync/meals",
        json={"meals": [void("v-late", "m-herve", day=DAY)]},
        headers={"Authorization": f"Bearer {pages.school.station_token}"},
    ).json()["results"]
    assert [(r["status"], r["reason"]) for r in late] == [("rejected", "already_voided")]
    assert _balance(pages) == 5000


def test_a_meal_cannot_be_cancelled_without_a_reason_nor_twice(pages: Family) -> None:
    push_meal(pages, "C1849-42", "m-herve", 415, DAY)
    before = _counts(pages)
    missing = pages.intendance.post(CANCEL, {"reason": "", "detail": ""}, page=PAGE)
    assert missing.status_code == 422
    assert "Choisissez le motif de l&#39;annulation." in missing.text
    other = pages.intendance.post(CANCEL, {"reason": "autre", "detail": "  "}, page=PAGE)
    assert other.status_code == 422
    assert "Précisez le motif de l&#39;annulation." in other.text
    assert _counts(pages) == before and _balance(pages) == 5000 - 415

    done = pages.intendance.post(CANCEL, {"reason": "autre", "detail": "sortie"}, page=PAGE)
    assert done.status_code == 303
    again = pages.intendance.post(CANCEL, {"reason": "non_servi", "detail": ""}, page=PAGE)
    assert again.status_code == 422
    assert "Ce repas est déjà annulé." in again.text
    assert _balance(pages) == 5000
    voids, audits, _ = _counts(pages)
    assert (voids, audits) == (1, 1)


def test_a_meal_of_another_family_is_404_from_this_familys_page(pages: Family) -> None:
    push_meal(pages, "C1849-44", "m-tom", 250, DAY)
    answer = pages.intendance.post(
        PAGE + "/repas/m-tom/annuler", {"reason": "non_servi"}, page=PAGE
    )
    assert answer.status_code == 404
    assert _counts(pages)[0] == 0


def test_a_form_without_its_csrf_token_changes_nothing(pages: Family) -> None:
    push_meal(pages, "C1849-42", "m-herve", 415, DAY)
    answer = pages.intendance.post(CANCEL, {"reason": "non_servi"}, page=PAGE, csrf=False)
    assert answer.status_code == 403
    assert _counts(pages)[0] == 0 and _balance(pages) == 5000 - 415
