"""HTTP API behaviour: access rules, pagination, reads, consumption, errors."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from cantine_harness.portal import (
    SEED_DAY,
    SeededSchool,
    create_user_token,
    meal,
    seed_school,
    void,
)


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def two_schools(portal_db: str) -> tuple[SeededSchool, SeededSchool]:
    return seed_school(portal_db, code="1849"), seed_school(portal_db, code="1850")


def _endpoints(school: SeededSchool) -> list[tuple[str, str, dict[str, Any] | None, str]]:
    """(method, path, body, owner token) of every endpoint, for ``school``'s resources."""
    child, family = school.children[0], school.families[0]
    return [
        ("GET", "/v1/sync/changes", None, school.station_token),
        ("POST", "/v1/sync/meals", {"meals": []}, school.station_token),
        ("GET", f"/v1/children/{child}/meals", None, school.parent_token),
        ("GET", f"/v1/children/{child}/meals", None, school.intendance_token),
        ("GET", f"/v1/families/{family}/balance", None, school.parent_token),
        ("GET", f"/v1/families/{family}/balance", None, school.intendance_token),
        (
            "GET",
            f"/v1/schools/{school.code}/consumption?day=2025-11-24",
            None,
            school.intendance_token,
        ),
    ]


def test_every_endpoint_answers_its_owner_and_404_to_other_school_and_family_tokens(
    app_client: TestClient, two_schools: tuple[SeededSchool, SeededSchool]
) -> None:
    mine, other = two_schools
    outsiders = [other.parent_token, other.intendance_token, other.station_token]
    for method, path, body, owner in _endpoints(mine):
        assert (
            app_client.request(method, path, json=body, headers=_auth(owner)).status_code == 200
        ), path
        if path.startswith("/v1/sync"):
            continue  # a station's own school is implied by its token: nothing to reach
        for token in outsiders:
            answer = app_client.request(method, path, json=body, headers=_auth(token))
            assert answer.status_code == 404, (path, answer.text)
            assert answer.json()["detail"]


def test_parent_of_another_family_in_same_school_gets_404(
    app_client: TestClient, portal_db: str, two_schools: tuple[SeededSchool, SeededSchool]
) -> None:
    mine, _ = two_schools
    neighbour = create_user_token(portal_db, role="parent", family=mine.families[1])
    for path in (
        f"/v1/children/{mine.children[0]}/meals",
        f"/v1/families/{mine.families[0]}/balance",
        f"/v1/schools/{mine.code}/consumption?day=2025-11-24",
    ):
        assert app_client.get(path, headers=_auth(neighbour)).status_code == 404


def test_missing_or_unknown_token_is_401_json_on_every_endpoint(
    app_client: TestClient, two_schools: tuple[SeededSchool, SeededSchool]
) -> None:
    for method, path, body, _ in _endpoints(two_schools[0]):
        for headers in ({}, _auth("st_not-a-token")):
            answer = app_client.request(method, path, json=body, headers=headers)
            assert answer.status_code == 401
            assert answer.json()["field"] == "authorization"


def test_changes_are_paginated_with_next_and_more_until_complete(
    app_client: TestClient, portal_db: str
) -> None:
    seeded = seed_school(portal_db)
    seen: list[int] = []
    since, more = 0, True
    while more:
        page = app_client.get(
            f"/v1/sync/changes?since={since}&limit=4", headers=_auth(seeded.station_token)
        ).json()
        assert page["school"] == "1849" and page["since"] == since
        assert len(page["changes"]) <= 4
        seen += [c["seq"] for c in page["changes"]]
        since, more = page["next"], page["more"]
    full = app_client.get("/v1/sync/changes?limit=5000", headers=_auth(seeded.station_token))
    assert seen == [c["seq"] for c in full.json()["changes"]] == sorted(set(seen))


def test_pushed_meal_appears_in_changes_and_child_meals_and_balance(
    app_client: TestClient, portal_db: str
) -> None:
    seeded = seed_school(portal_db)
    child, family = seeded.children[0], seeded.families[0]
    result = app_client.post(
        "/v1/sync/meals", json={"meals": [meal("m-1", child)]}, headers=_auth(seeded.station_token)
    ).json()["results"][0]
    assert result == {
        "id": "m-1",
        "status": "applied",
        "seq": result["seq"],
        "duplicate_pass": False,
        "clock_skew": False,
    }
    feed = app_client.get(
        f"/v1/sync/changes?since={result['seq'] - 2}", headers=_auth(seeded.station_token)
    ).json()["changes"]
    assert {
        "kind": "balance",
        "key": family,
        "seq": result["seq"],
        "data": {"family_id": family, "balance_cents": 5000 - 415},
    } in feed
    assert any(c["kind"] == "meal" and c["data"]["station"] == "ligne-1" for c in feed)
    meals = app_client.get(
        f"/v1/children/{child}/meals?limit=5", headers=_auth(seeded.parent_token)
    ).json()
    assert meals["child_id"] == child
    assert meals["meals"][0] | {"served_at": None} == {
        "meal_id": "m-1",
        "served_at": None,
        "business_date": "2025-11-24",
        "service": "dejeuner",
        "charged_cents": 415,
        "station": "ligne-1",
        "voided": False,
        "duplicate_pass": False,
    }
    balance = app_client.get(
        f"/v1/families/{family}/balance", headers=_auth(seeded.intendance_token)
    ).json()
    assert balance["balance_cents"] == 4585
    assert [(e["kind"], e["amount_cents"], e["reference"]) for e in balance["entries"]] == [
        ("meal_charge", -415, "meal:m-1"),
        ("credit", 5000, "SEED-1849-1"),
    ]


def test_consumption_counts_reserved_served_no_shows_voids_and_duplicates(
    app_client: TestClient, portal_db: str
) -> None:
    seeded = seed_school(portal_db)
    herve, lea, tom, _zoe, noah = seeded.children
    batch = [
        meal("a", herve),
        meal("b", herve),
        meal("c", tom, charged_cents=0),
        meal("d", lea, charged_cents=0),
        meal("e", lea, charged_cents=0),
        void("v", "e"),
    ]
    app_client.post("/v1/sync/meals", json={"meals": batch}, headers=_auth(seeded.station_token))
    report = app_client.get(
        "/v1/schools/1849/consumption?day=2025-11-24", headers=_auth(seeded.intendance_token)
    ).json()
    assert report["school"] == "1849" and report["day"] == "2025-11-24"
    # Each meal in exactly one column: Hervé's second pass is only a duplicate, Léa's
    # Monday meal is forfait (docs/design.md §5).
    assert report["services"]["dejeuner"] == {
        "reserved": 3,
        "served_reserved": 2,
        "served_unreserved": 0,
        "served_forfait": 1,
        "no_shows": 1,
        "voids": 1,
        "duplicate_passes": 1,
        "charged_cents": 830,
        "overrides": 0,
    }
    assert report["classes"]["6B"]["dejeuner"] == {
        "reserved": 2,
        "served_reserved": 2,
        "served_unreserved": 0,
        "served_forfait": 0,
        "no_shows": 0,
        "voids": 0,
        "duplicate_passes": 1,
        "charged_cents": 830,
        "overrides": 0,
    }
    assert report["classes"]["3F"]["dejeuner"]["no_shows"] == 1
    assert noah in seeded.children


def test_consumption_counts_meals_served_by_a_supervised_override(
    app_client: TestClient, portal_db: str
) -> None:
    seeded = seed_school(portal_db)
    herve, _lea, tom, _zoe, _noah = seeded.children
    forced = meal("o", tom) | {"source": "override", "reason": "override"}
    batch = [meal("a", herve), forced]
    app_client.post("/v1/sync/meals", json={"meals": batch}, headers=_auth(seeded.station_token))
    report = app_client.get(
        "/v1/schools/1849/consumption?day=2025-11-24", headers=_auth(seeded.intendance_token)
    ).json()
    assert report["services"]["dejeuner"]["overrides"] == 1
    assert report["services"]["dejeuner"]["charged_cents"] == 830


def test_consumption_csv_is_semicolon_utf8_bom_with_french_headers_and_comma_amounts(
    app_client: TestClient, portal_db: str
) -> None:
    seeded = seed_school(portal_db)
    app_client.post(
        "/v1/sync/meals",
        json={"meals": [meal("a", seeded.children[0])]},
        headers=_auth(seeded.station_token),
    )
    answer = app_client.get(
        "/v1/schools/1849/consumption?day=2025-11-24&format=csv",
        headers=_auth(seeded.intendance_token),
    )
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.content.startswith(b"\xef\xbb\xbf")
    lines = answer.content.decode("utf-8-sig").splitlines()
    assert lines[0].split(";")[:3] == ["service", "classe", "réservés"]
    assert lines[1] == "dejeuner;Total;3;1;0;2;0;0;4,15;0"


def test_invalid_query_is_422_naming_the_field(app_client: TestClient, portal_db: str) -> None:
    seeded = seed_school(portal_db)
    answer = app_client.get("/v1/sync/changes?limit=0", headers=_auth(seeded.station_token))
    assert answer.status_code == 422 and answer.json()["field"] == "limit"
    answer = app_client.get(
        "/v1/schools/1849/consumption?day=demain", headers=_auth(seeded.intendance_token)
    )
    assert answer.status_code == 422 and answer.json()["field"] == "day"


def test_oversized_or_malformed_meal_batches_are_refused_and_change_nothing(
    app_client: TestClient, portal_db: str
) -> None:
    seeded = seed_school(portal_db)
    headers = _auth(seeded.station_token) | {"content-type": "application/json"}
    big = app_client.post(
        "/v1/sync/meals", content=b'{"meals": [' + b" " * (1 << 20) + b"]}", headers=headers
    )
    assert big.status_code == 413 and big.json()["field"] == "body"
    many = app_client.post(
        "/v1/sync/meals",
        headers=headers,
        json={"meals": [meal(f"m{n}", seeded.children[0]) for n in range(1001)]},
    )
    assert many.status_code == 413 and many.json()["field"] == "meals"
    broken = app_client.post("/v1/sync/meals", content=b'{"meals": [', headers=headers)
    assert broken.status_code == 422 and broken.json()["field"] == "body"
    meals = app_client.get(
        f"/v1/children/{seeded.children[0]}/meals", headers=_auth(seeded.parent_token)
    ).json()["meals"]
    assert meals == []


def test_healthz_reports_database_ok(app_client: TestClient) -> None:
    assert app_client.get("/healthz").json() == {"status": "ok", "database": "ok"}


def test_void_in_same_batch_refunds_and_balance_shows_it(
    app_client: TestClient, portal_db: str
) -> None:
    seeded = seed_school(portal_db)
    results = app_client.post(
        "/v1/sync/meals",
        json={"meals": [meal("m", seeded.children[0]), void("v", "m")]},
        headers=_auth(seeded.station_token),
    ).json()["results"]
    assert [r["status"] for r in results] == ["applied", "applied"]
    balance = app_client.get(
        f"/v1/families/{seeded.families[0]}/balance", headers=_auth(seeded.parent_token)
    ).json()
    assert balance["balance_cents"] == 5000
    meals = app_client.get(
        f"/v1/children/{seeded.children[0]}/meals", headers=_auth(seeded.parent_token)
    ).json()["meals"]
    assert meals[0]["voided"] is True
    assert SEED_DAY.isoformat() == meals[0]["business_date"]
