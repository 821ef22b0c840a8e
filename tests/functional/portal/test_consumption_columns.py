"""Consumption report: every meal counted once, in exactly one column (docs/design.md §5)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from cantine_harness.portal import meal, seed_school, void

SERVED_COLUMNS = ("served_reserved", "served_unreserved", "served_forfait", "duplicate_passes")


def _report(client: TestClient, token: str) -> dict[str, object]:
    answer = client.get(
        "/v1/schools/1849/consumption?day=2025-11-24",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 200
    report: dict[str, object] = answer.json()
    return report


def _push(client: TestClient, token: str, batch: list[dict[str, object]]) -> None:
    answer = client.post(
        "/v1/sync/meals", json={"meals": batch}, headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 200


def test_duplicate_pass_of_a_reserved_child_counts_once_as_duplicate_not_again_as_reserved(
    app_client: TestClient, portal_db: str
) -> None:
    seeded = seed_school(portal_db)
    herve = seeded.children[0]
    _push(app_client, seeded.station_token, [meal("a", herve), meal("b", herve)])
    figures = _report(app_client, seeded.intendance_token)["services"]["dejeuner"]  # type: ignore[index]
    assert figures["served_reserved"] == 1
    assert figures["duplicate_passes"] == 1
    assert figures["served_unreserved"] == 0


def test_forfait_meal_counts_as_served_forfait_not_unreserved(
    app_client: TestClient, portal_db: str
) -> None:
    seeded = seed_school(portal_db)
    lea = seeded.children[1]  # forfait on Mondays, no reservation
    forfait = meal("f", lea, charged_cents=0) | {"reason": "forfait"}
    _push(app_client, seeded.station_token, [forfait])
    report = _report(app_client, seeded.intendance_token)
    figures = report["services"]["dejeuner"]  # type: ignore[index]
    assert figures["served_forfait"] == 1
    assert figures["served_unreserved"] == 0 and figures["served_reserved"] == 0
    assert report["classes"]["5A"]["dejeuner"]["served_forfait"] == 1  # type: ignore[index]


def test_every_meal_not_voided_is_in_exactly_one_served_column(
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
        meal("g", noah),
        void("v", "g"),
    ]
    _push(app_client, seeded.station_token, batch)
    figures = _report(app_client, seeded.intendance_token)["services"]["dejeuner"]  # type: ignore[index]
    assert sum(figures[c] for c in SERVED_COLUMNS) == 5
    assert figures["voids"] == 1
    assert figures["no_shows"] == 1  # Noah's only meal was voided


def test_csv_keeps_its_columns_and_appends_served_forfait_last(
    app_client: TestClient, portal_db: str
) -> None:
    seeded = seed_school(portal_db)
    herve, lea = seeded.children[0], seeded.children[1]
    _push(app_client, seeded.station_token, [meal("a", herve), meal("d", lea, charged_cents=0)])
    answer = app_client.get(
        "/v1/schools/1849/consumption?day=2025-11-24&format=csv",
        headers={"Authorization": f"Bearer {seeded.intendance_token}"},
    )
    lines = answer.content.decode("utf-8-sig").splitlines()
    assert lines[0].split(";")[-2:] == ["montant facturé (€)", "servis au forfait"]
    assert lines[1] == "dejeuner;Total;3;1;0;2;0;0;4,15;1"
