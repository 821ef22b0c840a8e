"""Meals and money that make no sense are refused on the wire."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cantine_harness.portal import SEED_DAY, SeededSchool, meal, seed_school, void
from portal_sync_api.core.db import make_engine, session_scope
from portal_sync_api.crud.ledger import CreditIn, add_credits
from portal_sync_api.crud.schools import require_school
from portal_sync_api.errors import DataError, PortalError
from portal_sync_api.imports import load_credits


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def seeded(portal_db: str) -> SeededSchool:
    return seed_school(portal_db)


def _push(client: TestClient, school: SeededSchool, items: list[Any]) -> list[dict[str, Any]]:
    answer = client.post(
        "/v1/sync/meals", json={"meals": items}, headers=_auth(school.station_token)
    )
    assert answer.status_code == 200, answer.text
    results: list[dict[str, Any]] = answer.json()["results"]
    return results


def _balance(client: TestClient, school: SeededSchool) -> int:
    answer = client.get(
        f"/v1/families/{school.families[0]}/balance", headers=_auth(school.parent_token)
    )
    balance: int = answer.json()["balance_cents"]
    return balance


def _meal_count(client: TestClient, school: SeededSchool) -> int:
    answer = client.get(
        f"/v1/children/{school.children[0]}/meals", headers=_auth(school.parent_token)
    )
    return len(answer.json()["meals"])


# Item 6: strict types on the wire.


@pytest.mark.parametrize("amount", ["415", True, 415.0, "4,15"])
def test_charged_cents_must_be_a_json_integer(
    app_client: TestClient, seeded: SeededSchool, amount: object
) -> None:
    item = meal("m1", seeded.children[0]) | {"charged_cents": amount}
    results = _push(app_client, seeded, [item])
    assert results == [{"id": "m1", "status": "rejected", "reason": "invalid: charged_cents"}]
    assert _balance(app_client, seeded) == 5000


@pytest.mark.parametrize(
    ("field", "value"),
    [("business_date", 0), ("business_date", "20251124"), ("served_at", 1764000000)],
)
def test_dates_must_be_iso_texts(
    app_client: TestClient, seeded: SeededSchool, field: str, value: object
) -> None:
    item = meal("m1", seeded.children[0]) | {field: value}
    results = _push(app_client, seeded, [item])
    assert results == [{"id": "m1", "status": "rejected", "reason": f"invalid: {field}"}]


def test_meal_batch_sent_as_plain_text_is_415_and_applies_nothing(
    app_client: TestClient, seeded: SeededSchool
) -> None:
    body = json.dumps({"meals": [meal("m1", seeded.children[0])]})
    answer = app_client.post(
        "/v1/sync/meals",
        content=body.encode(),
        headers=_auth(seeded.station_token) | {"content-type": "text/plain"},
    )
    assert answer.status_code == 415
    assert answer.json()["field"] == "content-type"
    assert _meal_count(app_client, seeded) == 0


@pytest.mark.parametrize("day", ["0", "1764000000", "24/11/2025"])
def test_consumption_day_must_be_an_iso_date(
    app_client: TestClient, seeded: SeededSchool, day: str
) -> None:
    answer = app_client.get(
        f"/v1/schools/{seeded.code}/consumption",
        params={"day": day},
        headers=_auth(seeded.intendance_token),
    )
    assert answer.status_code == 422
    assert answer.json()["field"] == "day"


# Item 7: never a 500, never after the commit.


def test_item_id_must_be_printable_ascii(app_client: TestClient, seeded: SeededSchool) -> None:
    results = _push(app_client, seeded, [meal("repas é", seeded.children[0])])
    assert results == [{"id": None, "status": "rejected", "reason": "invalid: id"}]


def test_item_id_with_a_lone_surrogate_is_rejected_and_the_rest_applies(
    app_client: TestClient, seeded: SeededSchool
) -> None:
    items = [meal("\ud800", seeded.children[0]), meal("m2", seeded.children[0])]
    body = json.dumps({"meals": items})  # the surrogate travels as its \\ud800 escape
    answer = app_client.post(
        "/v1/sync/meals",
        content=body.encode(),
        headers=_auth(seeded.station_token) | {"content-type": "application/json"},
    )
    assert answer.status_code == 200
    results = answer.json()["results"]
    assert results[0] == {"id": None, "status": "rejected", "reason": "invalid: id"}
    assert results[1]["status"] == "applied"
    assert _balance(app_client, seeded) == 5000 - 415


def test_deeply_nested_json_is_a_422_naming_the_body(
    app_client: TestClient, seeded: SeededSchool
) -> None:
    answer = app_client.post(
        "/v1/sync/meals",
        content=b"[" * 100_000,
        headers=_auth(seeded.station_token) | {"content-type": "application/json"},
    )
    assert answer.status_code == 422
    assert answer.json()["field"] == "body"


def test_credit_reference_in_the_meal_namespace_is_refused_and_meal_push_still_applies(
    app_client: TestClient, seeded: SeededSchool, portal_db: str
) -> None:
    engine = make_engine(portal_db)
    try:
        with pytest.raises(DataError) as refused, session_scope(engine) as session:
            add_credits(
                session,
                school=require_school(session, code="1849"),
                credits=[
                    CreditIn(family_id=seeded.families[0], amount_cents=100, reference="meal:m1")
                ],
            )
    finally:
        engine.dispose()
    assert refused.value.field == "reference"
    results = _push(app_client, seeded, [meal("m1", seeded.children[0])])
    assert results[0]["status"] == "applied"
    assert _balance(app_client, seeded) == 5000 - 415


def _legacy_credit(portal_db: str, family_ref: str, reference: str) -> None:
    """A credit written before the reserved namespaces existed, straight into the ledger."""
    from portal_sync_api.crud.refs import family_by_ref
    from portal_sync_api.models import LedgerEntry

    engine = make_engine(portal_db)
    try:
        with session_scope(engine) as session:
            session.add(
                LedgerEntry(
                    family_id=family_by_ref(session, ref=family_ref, school_code="1849").id,
                    kind="credit",
                    amount_cents=100,
                    reference=reference,
                    at=datetime.now(UTC).isoformat(timespec="seconds"),
                )
            )
    finally:
        engine.dispose()


def test_a_legacy_credit_named_like_a_meal_never_blocks_that_meal(
    app_client: TestClient, seeded: SeededSchool, portal_db: str
) -> None:
    # Meals' ledger references name the meal's internal key, never the station's id.
    _legacy_credit(portal_db, seeded.families[0], "meal:m1")
    before = _balance(app_client, seeded)
    results = _push(app_client, seeded, [meal("m1", seeded.children[0])])
    assert results[0]["status"] == "applied"
    assert _balance(app_client, seeded) == before - 415


def test_void_whose_ledger_reference_is_already_taken_is_rejected_alone(
    app_client: TestClient, seeded: SeededSchool, portal_db: str
) -> None:
    from sqlalchemy import select

    from portal_sync_api.models import Meal

    assert _push(app_client, seeded, [meal("m1", seeded.children[0])])[0]["status"] == "applied"
    engine = make_engine(portal_db)
    try:
        with session_scope(engine) as session:
            key = session.execute(select(Meal.id).where(Meal.ref == "m1")).scalar_one()
    finally:
        engine.dispose()
    _legacy_credit(portal_db, seeded.families[0], f"void:{key}")
    before = _balance(app_client, seeded)
    results = _push(app_client, seeded, [void("v1", "m1"), meal("m2", seeded.children[2])])
    assert results[0] == {"id": "v1", "status": "rejected", "reason": "ledger_conflict"}
    assert results[1]["status"] == "applied"
    assert _balance(app_client, seeded) == before


def test_credits_csv_line_with_a_meal_reference_is_an_error_naming_the_line(
    seeded: SeededSchool, portal_db: str, tmp_path: Path
) -> None:
    path = tmp_path / "credits.csv"
    path.write_text(
        f"family_id;amount_cents;reference\n{seeded.families[0]};100;VIR-1\n"
        f"{seeded.families[0]};100;meal:m1\n",
        encoding="utf-8",
    )
    engine = make_engine(portal_db)
    try:
        with pytest.raises(PortalError) as refused, session_scope(engine) as session:
            load_credits(session, path)
    finally:
        engine.dispose()
    assert "line 3" in str(refused.value) and "reference" in str(refused.value)


# Item 5: dates, services and voids that make no sense.


@pytest.mark.parametrize("day", ["0001-01-01", "1900-01-01", "2999-12-31"])
def test_meal_of_an_implausible_business_date_is_rejected_and_charges_nothing(
    app_client: TestClient, seeded: SeededSchool, day: str
) -> None:
    item = meal("m1", seeded.children[0]) | {
        "business_date": day,
        "served_at": f"{day}T12:04:00+00:00",
    }
    results = _push(app_client, seeded, [item])
    assert results == [{"id": "m1", "status": "rejected", "reason": "implausible_date"}]
    assert _balance(app_client, seeded) == 5000
    assert _meal_count(app_client, seeded) == 0


def test_business_date_is_the_served_day_in_the_school_time_zone(
    app_client: TestClient, seeded: SeededSchool
) -> None:
    day = SEED_DAY.isoformat()
    # 23:30 UTC on the 23rd is 00:30 in Paris on the 24th: the same business day.
    same_day = meal("m1", seeded.children[0]) | {"served_at": "2025-11-23T23:30:00+00:00"}
    next_day = meal("m2", seeded.children[1]) | {"served_at": f"{day}T23:30:00+00:00"}
    results = _push(app_client, seeded, [same_day, next_day])
    assert [r["status"] for r in results] == ["applied", "rejected"]
    assert results[1]["reason"] == "business_date_mismatch"


def test_meal_of_a_service_the_school_does_not_have_is_rejected(
    app_client: TestClient, seeded: SeededSchool
) -> None:
    results = _push(app_client, seeded, [meal("m1", seeded.children[0], service="gouter")])
    assert results == [{"id": "m1", "status": "rejected", "reason": "unknown_service"}]
    assert _balance(app_client, seeded) == 5000


def test_void_past_the_undo_window_and_its_tolerance_is_rejected_and_refunds_nothing(
    app_client: TestClient, seeded: SeededSchool
) -> None:
    _push(app_client, seeded, [meal("m1", seeded.children[0]), meal("m2", seeded.children[1])])
    late = void("v1", "m1") | {"voided_at": "2028-01-01T12:06:00+01:00"}
    # Undo window 10 min + 5 min of tolerance: 14 minutes after 12:04 still counts.
    tolerated = void("v2", "m2") | {"voided_at": f"{SEED_DAY.isoformat()}T12:18:00+01:00"}
    results = _push(app_client, seeded, [late, tolerated])
    assert results[0] == {"id": "v1", "status": "rejected", "reason": "undo_window_passed"}
    assert results[1]["status"] == "applied"
    assert _balance(app_client, seeded) == 5000 - 415
