"""Meals and money that make no sense are refused on the wire (issue 17, items 5-7)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cantine_harness.portal import SeededSchool, meal, seed_school


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
